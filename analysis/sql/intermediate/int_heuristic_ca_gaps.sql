-- int_heuristic_ca_gaps
-- Grain: one row per enabled member when no policy satisfies the heuristic (or the
-- policies were refused); no rows when one does: the members entra_ca_coverage_gaps
-- counts and its explain lists, so the two cannot disagree.
-- Inputs: stg_users, int_heuristic_ca_checks, int_source_refusals.
-- Rule (docs/kri.md): "0 if at least one Conditional Access policy has state = 'enabled'
-- AND conditions.users.includeUsers contains 'All' AND conditions.users.excludeUsers
-- is empty AND grantControls.builtInControls contains 'mfa'; otherwise
-- count(enabled_members)." (the original heuristic; a null grantControls has no 'mfa').
-- Fail-safe: /identity/conditionalAccess/policies refused -> every enabled member
-- (max gap). reason says which case applies.
with
refusal as (
    select is_refused from int_source_refusals where source = 'conditional_access_policies'
),

satisfied as (
    select count(*) > 0 as is_satisfied
    from int_heuristic_ca_checks
    where qualifies
)

select
    u.user_id,
    u.user_principal_name,
    u.display_name,
    case
        when refusal.is_refused then 'Conditional Access policies refused'
        else 'no enabled policy requires MFA for All users without exclusions'
    end as reason
from stg_users as u
cross join refusal
cross join satisfied
where u.is_enabled_member
    and (refusal.is_refused or not satisfied.is_satisfied)
