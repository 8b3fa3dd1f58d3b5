-- int_ca_policy_users
-- Grain: one row per Conditional Access policy.
-- Inputs: stg_ca_policy_documents, int_ca_policy_list_items, int_ca_policy_settings.
-- Output: what conditions.users says for the whole policy (the lists themselves are
-- rows of int_ca_policy_list_items): includes_all / excludes_all (includeUsers /
-- excludeUsers contain All), the legacy value GuestsOrExternalUsers on either side,
-- and the guest/external types. guestOrExternalUserTypes is one comma-joined string,
-- split here; 'none' is no type. Their tenants are "all" when externalTenants is
-- absent or membershipKind = 'all'; anything else (enumerated) cannot be decided from
-- the snapshot (docs/ca-resolver.md, "Guest and external types").
-- unmodelled_exclusions lists the users settings the resolver does not know, whose
-- name does not start with "include" and whose value is not empty (as
-- int_ca_policy_settings judges it): rule 2 treats them as an exclusion of everyone
-- ("an unclear exclusion excludes"); unknown include* settings can only add users, so
-- not using them is the fail-safe side.
with
listed_users as (
    select
        policy_id,
        bool_or(side = 'include' and item_key = 'all') as includes_all,
        bool_or(side = 'exclude' and item_key = 'all') as excludes_all,
        bool_or(side = 'include' and item_key = 'guestsorexternalusers')
            as includes_legacy_guests,
        bool_or(side = 'exclude' and item_key = 'guestsorexternalusers')
            as excludes_legacy_guests
    from int_ca_policy_list_items
    where kind = 'users'
    group by policy_id
),

guest_settings as (
    select
        policy_id,
        conditions ->> '$.users.includeGuestsOrExternalUsers.guestOrExternalUserTypes'
            as include_types_raw,
        json_extract(conditions, '$.users.includeGuestsOrExternalUsers.externalTenants')
            as include_tenants,
        conditions ->> '$.users.excludeGuestsOrExternalUsers.guestOrExternalUserTypes'
            as exclude_types_raw,
        json_extract(conditions, '$.users.excludeGuestsOrExternalUsers.externalTenants')
            as exclude_tenants
    from stg_ca_policy_documents
),

unmodelled as (
    select
        policy_id,
        list(setting order by setting) as settings
    from int_ca_policy_settings
    where section = 'users'
        and not is_empty
        and not starts_with(setting, 'include')
        and setting not in ('excludeUsers', 'excludeGroups', 'excludeRoles',
            'excludeGuestsOrExternalUsers')
    group by policy_id
)

select
    g.policy_id,
    coalesce(l.includes_all, false) as includes_all,
    coalesce(l.excludes_all, false) as excludes_all,
    coalesce(l.includes_legacy_guests, false) as includes_legacy_guests,
    coalesce(l.excludes_legacy_guests, false) as excludes_legacy_guests,
    list_filter(
        list_transform(string_split(coalesce(g.include_types_raw, ''), ','),
            lambda t: lower(trim(t))),
        lambda t: t not in ('', 'none')
    ) as include_guest_types,
    coalesce(json_type(g.include_tenants), 'NULL') = 'NULL'
        or coalesce(lower(g.include_tenants ->> '$.membershipKind') = 'all', false)
        as include_guest_tenants_all,
    list_filter(
        list_transform(string_split(coalesce(g.exclude_types_raw, ''), ','),
            lambda t: lower(trim(t))),
        lambda t: t not in ('', 'none')
    ) as exclude_guest_types,
    coalesce(json_type(g.exclude_tenants), 'NULL') = 'NULL'
        or coalesce(lower(g.exclude_tenants ->> '$.membershipKind') = 'all', false)
        as exclude_guest_tenants_all,
    coalesce(u.settings, []::varchar[]) as unmodelled_exclusions
from guest_settings as g
left join listed_users as l
    on l.policy_id = g.policy_id
left join unmodelled as u
    on u.policy_id = g.policy_id
