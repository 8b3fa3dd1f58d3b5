-- int_ca_coverage_policies
-- Grain: one row per Conditional Access policy that can take part in coverage: enabled
-- (covers) or report-only (would cover if enforced, for explain), with an id, a grant
-- that guarantees MFA or blocks (rules 5-6), at least one sign-in context it applies
-- to, and not excluding everyone (excludeUsers All, an unread exclude group, a users
-- setting the resolver does not know: rule 2's fail-safe).
-- Inputs: int_ca_policy_requirements, int_ca_policy_users, int_ca_policy_groups.
-- Output: is_enforced (state enabled), includes_all (includeUsers All: the policy
-- includes every user its exclusions leave; docs/ca-resolver.md rule 1).
-- Materialized: table (read by several views; computed once)
with
excludes_everyone as (
    select policy_id
    from int_ca_policy_users
    where excludes_all
        or len(unmodelled_exclusions) > 0
    union
    select policy_id
    from int_ca_policy_groups
    where side = 'exclude'
        and not is_read
)

select
    r.policy_id,
    r.display_name,
    r.state = 'enabled' as is_enforced,
    u.includes_all
from int_ca_policy_requirements as r
inner join int_ca_policy_users as u
    on u.policy_id = r.policy_id
where r.failed_rule is null
    and r.state in ('enabled', 'enabledForReportingButNotEnforced')
    and r.policy_id not in (select policy_id from excludes_everyone)
