-- int_failed_sign_ins
-- Grain: one row per failed sign-in in the window: the sign-ins
-- entra_failed_signins_24h counts and its explain lists, so the two cannot disagree.
-- Inputs: stg_manifest (now), stg_sign_ins, int_source_refusals.
-- Rule (docs/kri.md): "count of sign-ins with status.errorCode <> 0 and
-- now - 24 hours <= createdDateTime <= now" (both bounds inclusive). The failure
-- test is applied here even when the capture stored every sign-in (filter = all).
-- Fail-safe: /auditLogs/signIns refused -> no rows (the KRI is 0, degraded).
with
now_at as (
    select captured_at as now_at
    from stg_manifest
),

refusal as (
    select is_refused from int_source_refusals where source = 'sign_ins'
)

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
