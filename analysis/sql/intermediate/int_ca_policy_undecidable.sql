-- int_ca_policy_undecidable
-- Grain: one row per (policy, clause) the resolver cannot decide per sign-in context; a
-- policy with any row applies to no context (docs/ca-resolver.md, "A policy applies to a
-- context when"): user actions, authentication contexts, an application filter, a device
-- filter, insiderRiskLevels, clientApplications, servicePrincipalRiskLevels, and any
-- condition or applications setting the resolver does not know (fail-safe: it can never
-- be the reason a user is covered). Unknown applications settings whose name starts
-- with "include" can only add apps and are ignored.
-- Inputs: int_ca_policy_settings.
-- Output: rank (the order clauses are reported in) and reason.
with
settings as materialized (
    select policy_id, section, setting, value
    from int_ca_policy_settings
    where section in ('applications', 'conditions')
        and not is_empty
),

applications as (
    select
        policy_id,
        case setting
            when 'includeUserActions' then 1
            when 'includeAuthenticationContextClassReferences' then 2
            when 'applicationFilter' then 3
            else 4
        end as rank,
        case setting
            when 'includeUserActions'
                then 'applications: user actions ('
                || array_to_string(json_extract_string(value, '$[*]'), ', ') || ')'
            when 'includeAuthenticationContextClassReferences'
                then 'applications: authentication contexts ('
                || array_to_string(json_extract_string(value, '$[*]'), ', ') || ')'
            when 'applicationFilter' then 'applications: application filter'
            else 'applications: ' || setting || ' (not modelled)'
        end as reason
    from settings
    where section = 'applications'
        and setting not in ('includeApplications', 'excludeApplications')
        and (setting in ('includeUserActions', 'includeAuthenticationContextClassReferences')
            or not starts_with(setting, 'include'))
),

conditions as (
    select
        policy_id,
        case setting
            when 'devices' then 5
            when 'insiderRiskLevels' then 6
            when 'clientApplications' then 7
            when 'servicePrincipalRiskLevels' then 8
            else 9
        end as rank,
        'condition on ' || setting
        || case
            when setting in ('devices', 'insiderRiskLevels', 'clientApplications',
                'servicePrincipalRiskLevels') then ''
            else ' (not modelled)'
        end as reason
    from settings
    where section = 'conditions'
        and setting not in ('users', 'applications', 'clientAppTypes', 'platforms',
            'locations', 'userRiskLevels', 'signInRiskLevels', 'authenticationFlows')
)

select policy_id, rank, reason || ': applies to no sign-in (fail-safe)' as reason
from applications
union all
select policy_id, rank, reason || ': applies to no sign-in (fail-safe)'
from conditions
