-- int_heuristic_ca_checks
-- Grain: one row per Conditional Access policy.
-- Inputs: stg_ca_policies.
-- Output: each condition of docs/kri.md's entra_ca_coverage_gaps heuristic (state =
-- 'enabled', includeUsers contains 'All', excludeUsers empty, builtInControls contains
-- 'mfa'), whether the policy qualifies, and why not in words.
with
checks as (
    select
        policy_id,
        display_name,
        state,
        state = 'enabled' as is_enabled,
        list_contains(include_users, 'All') as includes_all,
        len(exclude_users) = 0 as excludes_none,
        list_contains(built_in_controls, 'mfa') as requires_mfa,
        exclude_users
    from stg_ca_policies
)

select
    policy_id,
    display_name,
    coalesce(is_enabled and includes_all and excludes_none and requires_mfa, false)
        as qualifies,
    concat_ws('; ',
        case when not coalesce(is_enabled, false)
            then 'state is ' || coalesce(state, 'null') || ', not enabled' end,
        case when not includes_all then 'includeUsers does not contain All' end,
        case when not excludes_none
            then 'excludeUsers is not empty (' || array_to_string(exclude_users, ', ') || ')'
        end,
        case when not requires_mfa then 'grantControls.builtInControls lacks mfa' end
    ) as why_not
from checks
order by policy_id
