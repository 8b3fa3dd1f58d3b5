-- int_ca_user_policy_sets
-- Grain: one row per enabled member.
-- Inputs: stg_users, int_ca_user_policy_matches, int_ca_coverage_policies.
-- Rule (docs/ca-resolver.md rules 1 and 2, and "Performance"): a coverage policy
-- applies to the user when it includes them (includeUsers All, or a certain include
-- match) and nothing excludes them (any exclude match, certain or not). Users who share
-- the same set of applicable policies share the answer, so the set is keyed by how it
-- differs from the baseline, the policies that include All: removed (baseline policies
-- that exclude the user) and added (other policies that include them). Only users with
-- include or exclude matches differ, so the cost grows with the matches, not with users
-- x policies.
-- Output: user_id, user_key (lower-cased id), set_key (removed and added as JSON),
-- removed, added.
-- Materialized: table (read by several views; computed once)
with
members as (
    select user_id, lower(user_id) as user_key
    from stg_users
    where is_enabled_member
),

matches as (
    select
        m.user_key,
        m.policy_id,
        c.includes_all,
        bool_or(m.side = 'include' and m.is_certain) as is_included,
        bool_or(m.side = 'exclude') as is_excluded
    from int_ca_user_policy_matches as m
    inner join int_ca_coverage_policies as c
        on c.policy_id = m.policy_id
    group by m.user_key, m.policy_id, c.includes_all
),

deltas as (
    select
        user_key,
        coalesce(
            list(policy_id order by policy_id) filter (where includes_all and is_excluded),
            []::varchar[]
        ) as removed,
        coalesce(
            list(policy_id order by policy_id)
                filter (where not includes_all and is_included and not is_excluded),
            []::varchar[]
        ) as added
    from matches
    group by user_key
),

keyed as (
    select
        m.user_id,
        m.user_key,
        coalesce(d.removed, []::varchar[]) as removed,
        coalesce(d.added, []::varchar[]) as added
    from members as m
    left join deltas as d
        on d.user_key = m.user_key
)

select
    user_id,
    user_key,
    to_json({'removed': removed, 'added': added})::varchar as set_key,
    removed,
    added
from keyed
