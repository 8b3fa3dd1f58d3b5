-- entra_failed_signins_24h
-- Grain: one row per failed sign-in in the window (the KRI value is the row count).
-- Inputs: int_failed_sign_ins (the rule and its fail-safe).
-- Rule (docs/kri.md): status.errorCode <> 0 and now - 24 hours <= createdDateTime <= now;
-- none when /auditLogs/signIns was refused (the KRI is 0, degraded).
select
    sign_in_id as id,
    created_at,
    user_id,
    user_principal_name,
    app_display_name,
    error_code,
    failure_reason
from int_failed_sign_ins
order by created_at, id
