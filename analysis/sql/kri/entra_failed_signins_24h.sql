-- entra_failed_signins_24h
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: stg_manifest (now), stg_sign_ins, int_source_refusals, int_kri_duplicate_warnings.
-- Rule (kri.md): "count of sign-ins with status.errorCode <> 0 and
-- now - 24 hours <= createdDateTime <= now" (both bounds inclusive). The failure
-- test is applied here even when the capture stored every sign-in (filter = all).
-- Fail-safe: /auditLogs/signIns refused -> 0 (nothing to measure), degraded.
with
now_at as (
    select captured_at as now_at
    from stg_manifest
),

refusal as (
    select is_refused, warnings from int_source_refusals where source = 'sign_ins'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_failed_signins_24h'
),

failed_sign_ins as (
    select s.sign_in_id
    from stg_sign_ins as s
    cross join now_at as n
    where s.error_code <> 0
        and s.created_at between n.now_at - interval 24 hours and n.now_at
)

select
    'entra_failed_signins_24h' as slug,
    case
        when refusal.is_refused then 0
        else (select count(*) from failed_sign_ins)
    end::double as value,
    refusal.is_refused as degraded,
    list_concat(refusal.warnings, duplicates.warnings) as warnings
from refusal
cross join duplicates
