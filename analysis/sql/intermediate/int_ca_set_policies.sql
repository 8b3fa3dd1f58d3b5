-- int_ca_set_policies
-- Grain: one row per distinct set of applicable coverage policies (set_key of
-- int_ca_profile_sets) and policy in it; a set with no policy has one row with
-- policy_id null, so every set appears.
-- Inputs: int_ca_profile_sets, int_ca_coverage_policies.
-- Rule: the set is the baseline (policies including All) minus removed, plus added.
-- Output: set_key, policy_id, is_enforced (the policy is enabled; otherwise report-only).
-- Materialized: table (read by several views; computed once)
with
sets as (
    select distinct set_key, removed, added
    from int_ca_profile_sets
),

members as (
    select s.set_key, c.policy_id
    from sets as s
    cross join int_ca_coverage_policies as c
    where c.includes_all
        and not list_contains(s.removed, c.policy_id)
    union
    select set_key, unnest(added)
    from sets
)

select
    s.set_key,
    m.policy_id,
    c.is_enforced
from sets as s
left join members as m
    on m.set_key = s.set_key
left join int_ca_coverage_policies as c
    on c.policy_id = m.policy_id
