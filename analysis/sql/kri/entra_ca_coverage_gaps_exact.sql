-- entra_ca_coverage_gaps_exact
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: stg_users, stg_ca_policy_documents, int_ca_user_policy_evaluations,
-- int_ca_policy_groups, int_ca_policy_strengths, int_source_refusals,
-- int_kri_duplicate_warnings.
-- Rule (docs/ca-resolver.md, "Value"): the number of enabled members for whom no
-- policy with state = 'enabled' guarantees MFA on every sign-in (rules 1-6, in
-- int_ca_user_policy_evaluations). Fail-safe: policies refused ->
-- count(enabled_members), degraded. Something an enabled policy references could not
-- be read (a group's members, an authentication strength), or an enabled policy or its
-- strength cannot be identified (no id): the policy covers no one it depends on it
-- for (already in the evaluations), and the KRI is degraded with one warning per
-- policy and reference.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'conditional_access_policies'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_ca_coverage_gaps_exact'
),

unread_references as (
    select
        'Conditional Access policy ''' || policy_display_name || ''' names group '
        || group_name
        || case when group_name <> group_ref then ' (' || group_ref || ')' else '' end
        || ' in ' || side || 'Groups, but '
        || unread_reason || ': the policy covers no one that group decides '
        || '(fail-safe).' as warning
    from int_ca_policy_groups
    where state = 'enabled'
        and not is_read
    union all
    select
        'Conditional Access policy ''' || policy_display_name || ''' requires '
        || 'authentication strength ' || strength_name || ' ('
        || coalesce(strength_id, 'no id') || '), but ' || unread_reason
        || ': the policy covers no one unless it also requires mfa (fail-safe).'
    from int_ca_policy_strengths
    where state = 'enabled'
        and unread_reason is not null
    union all
    select
        'Conditional Access policy ''' || policy_display_name || ''' requires an '
        || 'authentication strength with neither id nor displayName, so it cannot be '
        || 'identified: the policy covers no one (fail-safe).'
    from int_ca_policy_strengths
    where state = 'enabled'
        and not is_identified
    union all
    select
        'Conditional Access policy ''' || coalesce(display_name, policy_id) || ''' has no id, '
        || 'so it cannot be identified: it covers no one (fail-safe).'
    from stg_ca_policy_documents
    where state = 'enabled'
        and not has_id
),

reference_warnings as (
    select
        count(*) > 0 as has_unread,
        coalesce(list(warning order by warning), []::varchar[]) as warnings
    from unread_references
),

enabled_members as (
    select user_id
    from stg_users
    where is_enabled_member
),

covered_members as (
    select distinct user_id
    from int_ca_user_policy_evaluations
    where covers
),

uncovered_members as (
    select m.user_id
    from enabled_members as m
    cross join refusal
    where refusal.is_refused
        or not exists (select 1 from covered_members as c where c.user_id = m.user_id)
)

select
    'entra_ca_coverage_gaps_exact' as slug,
    (select count(*) from uncovered_members)::double as value,
    refusal.is_refused or reference_warnings.has_unread as degraded,
    list_concat(refusal.warnings, reference_warnings.warnings, duplicates.warnings) as warnings
from refusal
cross join reference_warnings
cross join duplicates
