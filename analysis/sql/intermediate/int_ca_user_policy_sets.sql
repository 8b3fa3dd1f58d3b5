-- int_ca_user_policy_sets
-- Grain: one row per enabled member.
-- Inputs: int_ca_user_profiles, int_ca_profile_sets.
-- Rule (docs/ca-resolver.md rules 1 and 2): the user's set of applicable coverage
-- policies is their profile's (int_ca_profile_sets).
-- Output: user_id, user_key (lower-cased id), profile_key, set_key.
select
    u.user_id,
    u.user_key,
    u.profile_key,
    s.set_key
from int_ca_user_profiles as u
inner join int_ca_profile_sets as s
    on s.profile_key = u.profile_key
