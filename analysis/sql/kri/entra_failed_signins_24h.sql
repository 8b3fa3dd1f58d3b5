-- entra_failed_signins_24h
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: int_failed_sign_ins (the rule), int_source_refusals,
-- int_kri_duplicate_warnings.
-- Rule (docs/kri.md): the number of failed sign-ins in the window (int_failed_sign_ins).
-- Fail-safe: /auditLogs/signIns refused -> 0 (nothing to measure), degraded.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'sign_ins'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_failed_signins_24h'
)

select
    'entra_failed_signins_24h' as slug,
    (select count(*) from int_failed_sign_ins)::double as value,
    refusal.is_refused as degraded,
    list_concat(refusal.warnings, duplicates.warnings) as warnings
from refusal
cross join duplicates
