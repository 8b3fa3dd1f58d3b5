-- entra_failed_signins_24h
-- Grain: one row per failed sign-in in the window (the KRI value is the row count).
-- Inputs: stg_manifest (now), stg_sign_ins, int_source_refusals.
-- Rule (kri.md): status.errorCode <> 0 and now - 24 hours <= createdDateTime <= now;
-- none when /auditLogs/signIns was refused (the KRI is 0, degraded).
with
now_at as (
    select captured_at as now_at
    from stg_manifest
),

refusal as (
    select is_refused from int_source_refusals where source = 'sign_ins'
),

failed_sign_ins as (
    select
        s.sign_in_id,
        s.created_at,
        s.user_id,
        s.user_principal_name,
        s.app_display_name,
        s.error_code,
        s.failure_reason
    from stg_sign_ins as s
    cross join now_at as n
    cross join refusal
    where not refusal.is_refused
        and s.error_code <> 0
        and s.created_at between n.now_at - interval 24 hours and n.now_at
)

select
    sign_in_id as id,
    created_at,
    user_id,
    user_principal_name,
    app_display_name,
    error_code,
    failure_reason
from failed_sign_ins
order by created_at, id
