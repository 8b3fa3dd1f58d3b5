-- entra_ca_coverage_gaps
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: int_heuristic_ca_gaps (the rule), int_source_refusals,
-- int_kri_duplicate_warnings.
-- Rule (docs/kri.md): the number of enabled members the original heuristic leaves uncovered
-- (int_heuristic_ca_gaps): 0 when one enabled policy requires MFA for All users
-- without exclusions, else count(enabled_members).
-- Fail-safe: /identity/conditionalAccess/policies refused ->
-- count(enabled_members) (max gap), degraded.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'conditional_access_policies'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_ca_coverage_gaps'
)

select
    'entra_ca_coverage_gaps' as slug,
    (select count(*) from int_heuristic_ca_gaps)::double as value,
    refusal.is_refused as degraded,
    list_concat(refusal.warnings, duplicates.warnings) as warnings
from refusal
cross join duplicates
