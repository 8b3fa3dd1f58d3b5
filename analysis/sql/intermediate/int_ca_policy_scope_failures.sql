-- int_ca_policy_scope_failures
-- Grain: one row per (policy, failed clause) of docs/ca-resolver.md rules 3 and 4;
-- a policy with no row applies to every cloud app on every sign-in.
-- Inputs: int_ca_policy_settings, stg_ca_policy_documents (policies without settings).
-- Rule 3, all cloud apps: includeApplications contains All; no excludeApplications,
-- no applicationFilter, no user actions, no authentication contexts. Other non-empty
-- applications settings are not modelled and fail (fail-safe), except include*
-- settings, which can only add apps.
-- Rule 4, no narrowing condition. Not narrowing: absent or empty; clientAppTypes
-- ['all'] (or containing all) or listing all four types; platforms including all with
-- nothing excluded; locations including All with nothing excluded. Narrowing: any
-- other platforms, locations or client app types; any user, sign-in, service
-- principal or insider risk levels; devices (a device filter); clientApplications;
-- authenticationFlows; and any condition the resolver does not know.
-- Output: rule (3 or 4), rank (the order clauses are reported in) and reason.
with
settings as materialized (
    select policy_id, section, setting, value, is_empty
    from int_ca_policy_settings
    where section in ('applications', 'conditions')
),

applications as (
    select
        policy_id,
        setting,
        value,
        is_empty
    from settings
    where section = 'applications'
),

included_apps as (
    select
        d.policy_id,
        coalesce(json_extract_string(a.value, '$[*]'), []::varchar[]) as apps
    from stg_ca_policy_documents as d
    left join applications as a
        on a.policy_id = d.policy_id
        and a.setting = 'includeApplications'
),

application_failures as (
    select
        policy_id,
        3 as rule,
        1 as rank,
        'applications: not all cloud apps ('
        || coalesce(nullif(array_to_string(apps, ', '), ''), 'none included') || ')'
            as reason
    from included_apps
    where not list_contains(list_transform(apps, lambda x: lower(x)), 'all')
    union all
    select
        policy_id,
        3,
        case setting
            when 'excludeApplications' then 2
            when 'applicationFilter' then 3
            when 'includeUserActions' then 4
            when 'includeAuthenticationContextClassReferences' then 5
            else 6
        end,
        case setting
            when 'excludeApplications'
                then 'applications: app exclusion ('
                || array_to_string(json_extract_string(value, '$[*]'), ', ') || ')'
            when 'applicationFilter' then 'applications: application filter'
            when 'includeUserActions'
                then 'applications: user actions ('
                || array_to_string(json_extract_string(value, '$[*]'), ', ') || ')'
            when 'includeAuthenticationContextClassReferences'
                then 'applications: authentication contexts ('
                || array_to_string(json_extract_string(value, '$[*]'), ', ') || ')'
            else 'applications: ' || setting || ' (not modelled)'
        end
    from applications
    where not is_empty
        and setting <> 'includeApplications'
        and (setting in (
            'excludeApplications', 'applicationFilter', 'includeUserActions',
            'includeAuthenticationContextClassReferences'
        ) or not starts_with(setting, 'include'))
),

conditions as (
    select
        policy_id,
        setting,
        value
    from settings
    where section = 'conditions'
        and setting not in ('users', 'applications')
        and not is_empty
),

judged_conditions as (
    select
        policy_id,
        setting,
        case setting
            when 'platforms' then not (
                list_contains(
                    list_transform(json_extract_string(value, '$.includePlatforms[*]'),
                        lambda x: lower(x)),
                    'all'
                )
                and coalesce(json_array_length(value, '/excludePlatforms'), 0) = 0
            )
            when 'locations' then not (
                list_contains(
                    list_transform(json_extract_string(value, '$.includeLocations[*]'),
                        lambda x: lower(x)),
                    'all'
                )
                and coalesce(json_array_length(value, '/excludeLocations'), 0) = 0
            )
            when 'clientAppTypes' then not (
                list_contains(list_transform(json_extract_string(value, '$[*]'),
                    lambda x: lower(x)), 'all')
                or list_has_all(
                    list_transform(json_extract_string(value, '$[*]'), lambda x: lower(x)),
                    ['browser', 'mobileappsanddesktopclients', 'exchangeactivesync', 'other']
                )
            )
            else true
        end as is_narrowing,
        case setting
            when 'platforms' then 1
            when 'locations' then 2
            when 'clientAppTypes' then 3
            when 'userRiskLevels' then 4
            when 'signInRiskLevels' then 5
            when 'servicePrincipalRiskLevels' then 6
            when 'insiderRiskLevels' then 7
            when 'devices' then 8
            when 'clientApplications' then 9
            when 'authenticationFlows' then 10
            else 11
        end as rank
    from conditions
)

select policy_id, rule, rank, reason
from application_failures
union all
select
    policy_id,
    4 as rule,
    rank,
    'condition on ' || setting || case when rank = 11 then ' (not modelled)' else '' end
        as reason
from judged_conditions
where is_narrowing
