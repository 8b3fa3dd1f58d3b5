-- int_ca_user_profiles
-- Grain: one row per enabled member.
-- Inputs: stg_users, int_ca_user_traits.
-- Rule (docs/ca-resolver.md, "Performance"): users with the same traits (their own id
-- when a policy lists it, the named groups and roles they are in, their guest/external
-- type) fall under every policy in the same ways, so they share every answer of the
-- resolver: their set of applicable policies, their coverage and explain's reasons.
-- The resolver works per profile, and the cost grows with users plus profiles x
-- policies, not users x policies.
-- Output: user_id, user_key (lower-cased id), profile_key: the user's traits, sorted,
-- as a JSON array ('[]' for a user no policy names other than through 'All').
-- Materialized: table (read by several views; computed once)
with
members as (
    select user_id, lower(user_id) as user_key
    from stg_users
    where is_enabled_member
),

profiles as (
    select
        user_key,
        to_json(list(trait order by trait))::varchar as profile_key
    from int_ca_user_traits
    group by user_key
)

select
    m.user_id,
    m.user_key,
    coalesce(p.profile_key, '[]') as profile_key
from members as m
left join profiles as p
    on p.user_key = m.user_key
