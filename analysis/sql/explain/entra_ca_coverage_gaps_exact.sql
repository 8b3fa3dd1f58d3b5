-- entra_ca_coverage_gaps_exact
-- Grain: one row per enabled member left uncovered in some sign-in context (the KRI
-- value is the row count); every enabled member when the policies were refused.
-- Inputs: stg_users, int_ca_user_policy_sets, int_ca_profile_explanations.
-- Shared columns: int_ca_profile_explanations by profile_key
-- Rule (docs/ca-resolver.md, "explain"): the member, and the explanation of their
-- profile (the members with the same traits, who get the same answer): reason,
-- uncovered, policies, covered_if_enforced and depends_on_unread come from
-- int_ca_profile_explanations, fetched once per profile and shared by its rows, so a
-- million members with a few hundred candidate policies each do not carry a copy of
-- the same lists each.
select
    u.user_id as id,
    u.user_principal_name,
    p.profile_key
from stg_users as u
inner join int_ca_user_policy_sets as p
    on p.user_id = u.user_id
where u.is_enabled_member
    and p.profile_key in (select profile_key from int_ca_profile_explanations)
order by u.user_principal_name, u.user_id
