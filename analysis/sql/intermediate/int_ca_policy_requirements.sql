-- int_ca_policy_requirements
-- Grain: one row per Conditional Access policy.
-- Inputs: stg_ca_policy_documents, int_ca_policy_scope_failures, int_ca_policy_grants.
-- Output: the first of docs/ca-resolver.md rules 3 (all cloud apps), 4 (no narrowing
-- condition) and 5/6 (grant guarantees MFA) that the policy fails, whoever the user:
-- failed_rule and reason are null when the policy would guarantee MFA to everyone it
-- includes and does not exclude. depends_on_unread: the reason is an authentication
-- strength that could not be read. state is kept as Graph sent it (enabled,
-- disabled, enabledForReportingButNotEnforced). A policy without id fails first
-- (failed_rule 0): docs/ca-resolver.md, "a policy missing its id ... covers nothing".
with
first_scope_failure as (
    select
        policy_id,
        arg_min(rule, (rule, rank, reason)) as rule,
        arg_min(reason, (rule, rank, reason)) as reason
    from int_ca_policy_scope_failures
    group by policy_id
)

select
    d.policy_id,
    d.display_name,
    d.state,
    case
        when not d.has_id then 0
        when f.rule is not null then f.rule
        when not g.guarantees_mfa then 5
    end as failed_rule,
    case
        when not d.has_id then 'policy has no id, so it cannot be identified (fail-safe)'
        else coalesce(f.reason, g.grant_reason)
    end as reason,
    d.has_id and f.rule is null and g.depends_on_unread as depends_on_unread
from stg_ca_policy_documents as d
inner join int_ca_policy_grants as g
    on g.policy_id = d.policy_id
left join first_scope_failure as f
    on f.policy_id = d.policy_id
