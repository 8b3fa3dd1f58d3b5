-- entra_ca_coverage_gaps_exact
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: int_ca_user_policy_sets, int_ca_set_coverage, int_ca_reference_warnings,
-- int_source_refusals, int_kri_duplicate_warnings.
-- Rule (docs/ca-resolver.md, "The value"): the number of enabled members for whom some
-- sign-in context has no enabled policy that includes the user (rules 1-2), applies to
-- the context, and requires MFA or blocks (rules 5-6): members whose set of applicable
-- policies leaves an uncovered context. Fail-safe: policies refused ->
-- count(enabled members), degraded. Something an enabled policy references could not
-- be read or identified: the policy covers no one it depends on it for (already in the
-- coverage), and the KRI is degraded with one warning per policy and reference.
with
refusal as (
    select is_refused, warnings
    from int_source_refusals
    where source = 'conditional_access_policies'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_ca_coverage_gaps_exact'
),

reference_warnings as (
    select
        count(*) > 0 as has_unread,
        coalesce(list(warning order by warning), []::varchar[]) as warnings
    from int_ca_reference_warnings
),

uncovered_members as (
    select u.user_id
    from int_ca_user_policy_sets as u
    inner join int_ca_set_coverage as s
        on s.set_key = u.set_key
    cross join refusal
    where refusal.is_refused
        or s.uncovered_contexts > 0
)

select
    'entra_ca_coverage_gaps_exact' as slug,
    (select count(*) from uncovered_members)::double as value,
    refusal.is_refused or reference_warnings.has_unread as degraded,
    list_concat(refusal.warnings, reference_warnings.warnings, duplicates.warnings) as warnings
from refusal
cross join reference_warnings
cross join duplicates
