-- int_ca_policy_requirements
-- Grain: one row per Conditional Access policy.
-- Inputs: stg_ca_policy_documents, int_ca_policy_undecidable, int_ca_policy_scopes,
-- int_ca_policy_grants.
-- Output: the first policy-level reason, whoever the user, why the policy can never be
-- the reason a user is covered (docs/ca-resolver.md): failed_rule 3, the policy has no
-- id; 4, it applies to no sign-in context (a clause that cannot be decided per context,
-- or a dimension that admits no value); 5, its grant does not guarantee MFA or block
-- (rules 5 and 6). failed_rule and reason are null when the policy requires MFA or
-- blocks in the contexts of its scope. depends_on_unread: the reason is an
-- authentication strength that could not be read. state is kept as Graph sent it.
-- Materialized: table (read by several views; computed once)
with
first_undecidable as (
    select
        policy_id,
        arg_min(reason, (rank, reason)) as reason
    from int_ca_policy_undecidable
    group by policy_id
)

select
    d.policy_id,
    d.display_name,
    d.state,
    case
        when not d.has_id then 3
        when u.reason is not null or s.applies_nowhere then 4
        when not g.guarantees_mfa then 5
    end as failed_rule,
    case
        when not d.has_id then 'policy has no id, so it cannot be identified (fail-safe)'
        when u.reason is not null then u.reason
        when s.applies_nowhere
            then 'applies to no sign-in (' || s.empty_dimensions || ' admitted)'
        else g.grant_reason
    end as reason,
    d.has_id and u.reason is null and not s.applies_nowhere and g.depends_on_unread
        as depends_on_unread,
    s.scope
from stg_ca_policy_documents as d
inner join int_ca_policy_grants as g
    on g.policy_id = d.policy_id
inner join int_ca_policy_scopes as s
    on s.policy_id = d.policy_id
left join first_undecidable as u
    on u.policy_id = d.policy_id
