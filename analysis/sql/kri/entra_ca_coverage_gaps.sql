-- entra_ca_coverage_gaps
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: stg_ca_policies, stg_users, int_source_refusals, int_kri_duplicate_warnings.
-- Rule (kri.md): "0 if at least one Conditional Access policy has state = 'enabled'
-- AND conditions.users.includeUsers contains 'All' AND conditions.users.excludeUsers
-- is empty AND grantControls.builtInControls contains 'mfa'; otherwise
-- count(enabled_members)." (the seed heuristic; a null grantControls has no 'mfa').
-- Fail-safe: /identity/conditionalAccess/policies refused ->
-- count(enabled_members) (max gap), degraded.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'conditional_access_policies'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_ca_coverage_gaps'
),

qualifying_policies as (
    select policy_id
    from stg_ca_policies
    where state = 'enabled'
        and list_contains(include_users, 'All')
        and len(exclude_users) = 0
        and list_contains(built_in_controls, 'mfa')
),

enabled_members as (
    select count(*) as enabled_member_count
    from stg_users
    where is_enabled_member
)

select
    'entra_ca_coverage_gaps' as slug,
    case
        when not refusal.is_refused and exists (select 1 from qualifying_policies) then 0
        else enabled_members.enabled_member_count
    end::double as value,
    refusal.is_refused as degraded,
    list_concat(refusal.warnings, duplicates.warnings) as warnings
from refusal
cross join duplicates
cross join enabled_members
