-- int_ca_policy_users
-- Grain: one row per Conditional Access policy.
-- Inputs: stg_ca_policy_documents.
-- Output: conditions.users as lists, ids and special values lower-cased (Graph's ids
-- are GUIDs; 'All', 'None' and 'GuestsOrExternalUsers' are compared as all, none,
-- guestsorexternalusers). Guest/external types: guestOrExternalUserTypes is one
-- comma-joined string (docs/graph-behaviour.md), split here; 'none' is no type. Their tenants
-- are "all" when externalTenants is absent or membershipKind = 'all'; anything else
-- (enumerated) cannot be decided from the snapshot (docs/ca-resolver.md, "Guest and
-- external types"). unmodelled_exclusions lists users settings the resolver does not
-- know, whose name does not start with "include" and whose value is not empty (null,
-- "", [], or an object of such values, as in int_ca_policy_settings): rule 2 treats
-- them as an exclusion of everyone ("an unclear exclusion excludes"); unknown
-- include* settings can only add users, so not using them is the fail-safe side.
with
documents as materialized (
    select
        policy_id,
        json_extract(conditions, '/users') as users
    from stg_ca_policy_documents
),

lists as (
    select
        policy_id,
        list_transform(json_extract_string(users, '$.includeUsers[*]'), lambda x: lower(x))
            as include_users,
        list_transform(json_extract_string(users, '$.excludeUsers[*]'), lambda x: lower(x))
            as exclude_users,
        list_transform(json_extract_string(users, '$.includeGroups[*]'), lambda x: lower(x))
            as include_groups,
        list_transform(json_extract_string(users, '$.excludeGroups[*]'), lambda x: lower(x))
            as exclude_groups,
        list_transform(json_extract_string(users, '$.includeRoles[*]'), lambda x: lower(x))
            as include_roles,
        list_transform(json_extract_string(users, '$.excludeRoles[*]'), lambda x: lower(x))
            as exclude_roles,
        json_extract_string(users, '$.includeGuestsOrExternalUsers.guestOrExternalUserTypes')
            as include_guest_types_raw,
        json_extract(users, '$.includeGuestsOrExternalUsers.externalTenants')
            as include_guest_tenants,
        json_extract_string(users, '$.excludeGuestsOrExternalUsers.guestOrExternalUserTypes')
            as exclude_guest_types_raw,
        json_extract(users, '$.excludeGuestsOrExternalUsers.externalTenants')
            as exclude_guest_tenants
    from documents
),

unknown_settings as (
    select
        policy_id,
        list_filter(
            json_keys(users),
            lambda k: not contains(k, '@') and not starts_with(k, 'include')
                and k not in ('excludeUsers', 'excludeGroups', 'excludeRoles',
                    'excludeGuestsOrExternalUsers')
        ) as settings,
        users
    from documents
    where json_type(users) = 'OBJECT'
),

unmodelled as (
    select
        policy_id,
        list_sort(list_filter(settings, lambda k:
            coalesce(json_type(users, '/' || k), 'NULL') <> 'NULL'
            and not (json_type(users, '/' || k) = 'ARRAY'
                and json_array_length(users, '/' || k) = 0)
            and not (json_type(users, '/' || k) = 'VARCHAR'
                and json_extract_string(users, '/' || k) = '')
            and not (json_type(users, '/' || k) = 'OBJECT'
                and len(list_filter(json_keys(json_extract(users, '/' || k)), lambda c:
                    not contains(c, '@')
                    and coalesce(json_type(users, '/' || k || '/' || c), 'NULL') <> 'NULL'
                    and not (json_type(users, '/' || k || '/' || c) = 'ARRAY'
                        and json_array_length(users, '/' || k || '/' || c) = 0)
                    and not (json_type(users, '/' || k || '/' || c) = 'VARCHAR'
                        and json_extract_string(users, '/' || k || '/' || c) = '')
                    and not (json_type(users, '/' || k || '/' || c) = 'OBJECT'
                        and len(json_keys(users, '/' || k || '/' || c)) = 0)
                )) = 0)
        )) as settings
    from unknown_settings
)


select
    l.policy_id,
    coalesce(l.include_users, []) as include_users,
    coalesce(l.exclude_users, []) as exclude_users,
    coalesce(l.include_groups, []) as include_groups,
    coalesce(l.exclude_groups, []) as exclude_groups,
    coalesce(l.include_roles, []) as include_roles,
    coalesce(l.exclude_roles, []) as exclude_roles,
    list_contains(coalesce(l.include_users, []), 'all') as includes_all,
    list_contains(coalesce(l.exclude_users, []), 'all') as excludes_all,
    list_contains(coalesce(l.include_users, []), 'guestsorexternalusers')
        as includes_legacy_guests,
    list_contains(coalesce(l.exclude_users, []), 'guestsorexternalusers')
        as excludes_legacy_guests,
    list_filter(
        list_transform(string_split(coalesce(l.include_guest_types_raw, ''), ','),
            lambda t: lower(trim(t))),
        lambda t: t not in ('', 'none')
    ) as include_guest_types,
    coalesce(json_type(l.include_guest_tenants), 'NULL') = 'NULL'
        or coalesce(lower(l.include_guest_tenants ->> '$.membershipKind') = 'all', false)
        as include_guest_tenants_all,
    list_filter(
        list_transform(string_split(coalesce(l.exclude_guest_types_raw, ''), ','),
            lambda t: lower(trim(t))),
        lambda t: t not in ('', 'none')
    ) as exclude_guest_types,
    coalesce(json_type(l.exclude_guest_tenants), 'NULL') = 'NULL'
        or coalesce(lower(l.exclude_guest_tenants ->> '$.membershipKind') = 'all', false)
        as exclude_guest_tenants_all,
    coalesce(u.settings, []::varchar[]) as unmodelled_exclusions
from lists as l
left join unmodelled as u
    on u.policy_id = l.policy_id
