-- int_ca_profile_sets
-- Grain: one row per profile (int_ca_user_profiles.profile_key).
-- Inputs: int_ca_user_profiles, int_ca_profile_policy_matches, int_ca_coverage_policies.
-- Rule (docs/ca-resolver.md rules 1 and 2, and "Performance"): a coverage policy
-- applies to the users of a profile when it includes them (includeUsers All, or a
-- certain include match) and nothing excludes them (any exclude match, certain or not).
-- Users who share the same set of applicable policies share the answer, so the set is
-- keyed by how it differs from the baseline, the policies that include All: removed
-- (baseline policies that exclude the user) and added (other policies that include
-- them).
-- Output: profile_key, set_key (removed and added as JSON), removed, added.
-- Materialized: table (read by several views; computed once)
with
profiles as (
    select distinct profile_key
    from int_ca_user_profiles
),

matches as (
    select
        m.profile_key,
        m.policy_id,
        c.includes_all,
        bool_or(m.side = 'include' and m.is_certain) as is_included,
        bool_or(m.side = 'exclude') as is_excluded
    from int_ca_profile_policy_matches as m
    inner join int_ca_coverage_policies as c
        on c.policy_id = m.policy_id
    group by m.profile_key, m.policy_id, c.includes_all
),

deltas as (
    select
        profile_key,
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
    group by profile_key
),

keyed as (
    select
        p.profile_key,
        coalesce(d.removed, []::varchar[]) as removed,
        coalesce(d.added, []::varchar[]) as added
    from profiles as p
    left join deltas as d
        on d.profile_key = p.profile_key
)

select
    profile_key,
    to_json({'removed': removed, 'added': added})::varchar as set_key,
    removed,
    added
from keyed
