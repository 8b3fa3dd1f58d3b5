-- entra_ca_coverage_gaps_exact
-- Grain: one row per enabled member that no enabled Conditional Access policy
-- guarantees MFA on every sign-in (the KRI value is the row count); every enabled
-- member when the policies were refused.
-- Inputs: stg_users, int_ca_user_policy_evaluations, int_source_refusals.
-- Rule (docs/ca-resolver.md, "explain"): for each policy that was a candidate (it
-- includes the user, or the snapshot cannot tell whether it does), the first rule
-- that failed, as "'<policy>': <reason>", with the policy's state when it is not
-- enabled and the reason does not already say so; and the report-only policies that
-- would cover the user if they were enforced.
with
refusal as (
    select is_refused from int_source_refusals where source = 'conditional_access_policies'
),

evaluations as materialized (
    select
        user_id,
        policy_id,
        policy_display_name,
        state,
        failed_rule,
        reason,
        covers,
        would_cover_if_enforced,
        is_candidate,
        depends_on_unread
    from int_ca_user_policy_evaluations
),

covered as (
    select distinct user_id
    from evaluations
    where covers
),

uncovered_members as (
    select
        u.user_id,
        u.user_principal_name
    from stg_users as u
    cross join refusal
    where u.is_enabled_member
        and (refusal.is_refused
            or not exists (select 1 from covered as c where c.user_id = u.user_id))
),

candidates as (
    select
        user_id,
        list(
            '''' || policy_display_name || ''': ' || reason
            || case
                when state = 'enabled' or failed_rule is null then ''
                when state = 'enabledForReportingButNotEnforced' then ' (policy report-only)'
                else ' (policy ' || coalesce(state, 'without state') || ')'
            end
            order by policy_display_name, policy_id
        ) as policies,
        list(policy_display_name order by policy_display_name, policy_id)
            filter (where would_cover_if_enforced) as covered_if_enforced,
        bool_or(depends_on_unread) as depends_on_unread
    from evaluations
    where is_candidate
    group by user_id
)

select
    m.user_id as id,
    m.user_principal_name,
    case
        when refusal.is_refused then 'Conditional Access policies refused (fail-safe)'
        when c.user_id is null then 'no policy includes this user'
        else 'no enabled policy guarantees MFA on every sign-in'
    end as reason,
    coalesce(c.policies, []::varchar[]) as policies,
    coalesce(c.covered_if_enforced, []::varchar[]) as covered_if_enforced,
    coalesce(c.depends_on_unread, false) as depends_on_unread
from uncovered_members as m
cross join refusal
left join candidates as c
    on c.user_id = m.user_id
order by m.user_principal_name, m.user_id
