-- int_ca_set_uncovered_contexts
-- Grain: one row per (set of applicable policies, sign-in context) in which no enabled
-- policy of the set applies: the user is not covered there (docs/ca-resolver.md,
-- "Value": covered when in every context at least one enabled policy that applies to
-- the user and the context requires MFA or blocks).
-- Inputs: int_ca_set_policies, int_ca_contexts, int_ca_policy_contexts.
-- Output: set_key, context_id, and closing_policy_ids: the report-only policies of the
-- set that apply to the context (they would cover it if enforced).
-- Materialized: table (read by several views; computed once)
with
set_policies as materialized (
    select set_key, policy_id, is_enforced
    from int_ca_set_policies
    where policy_id is not null
),

sets as (
    select distinct set_key
    from int_ca_set_policies
),

covered as (
    select distinct
        s.set_key,
        p.context_id
    from set_policies as s
    inner join int_ca_policy_contexts as p
        on p.policy_id = s.policy_id
    where s.is_enforced
),

uncovered as (
    select
        s.set_key,
        x.context_id
    from sets as s
    cross join int_ca_contexts as x
    anti join covered as c
        on c.set_key = s.set_key
        and c.context_id = x.context_id
),

closing as (
    select
        u.set_key,
        u.context_id,
        list(s.policy_id order by s.policy_id) as closing_policy_ids
    from uncovered as u
    inner join set_policies as s
        on s.set_key = u.set_key
        and not s.is_enforced
    inner join int_ca_policy_contexts as p
        on p.policy_id = s.policy_id
        and p.context_id = u.context_id
    group by u.set_key, u.context_id
)

select
    u.set_key,
    u.context_id,
    coalesce(c.closing_policy_ids, []::varchar[]) as closing_policy_ids
from uncovered as u
left join closing as c
    on c.set_key = u.set_key
    and c.context_id = u.context_id
