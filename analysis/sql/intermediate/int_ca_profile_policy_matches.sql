-- int_ca_profile_policy_matches
-- Grain: one row per (profile, policy, side, path, detail): a way the users of a profile
-- (int_ca_user_profiles) fall under a policy's include (side include) or exclude (side
-- exclude) lists, other than 'All' (a per-policy flag in int_ca_policy_users) and
-- unread groups (int_ca_policy_groups).
-- Inputs: int_ca_user_profiles, int_ca_policy_list_items, int_ca_policy_groups,
-- int_ca_policy_users.
-- Rule (docs/ca-resolver.md rules 1 and 2): the user's id is listed; a group in the
-- list contains the user transitively; the user holds an activated directory role
-- whose roleTemplateId is listed, directly or through a role-assignable group
-- (transitively); the user's guest/external type is listed in
-- include/excludeGuestsOrExternalUsers, or the legacy value GuestsOrExternalUsers is
-- in include/excludeUsers and the user has a guest/external type. is_certain is false
-- where the snapshot does not decide: a guest/external type that is unknown (markers
-- disagree), or externalTenants that are enumerated (the user's home tenant is not in
-- the snapshot). An uncertain include does not include; an uncertain exclude excludes.
-- Output: path_rank orders the reasons.
with
profiles as (
    select distinct profile_key
    from int_ca_user_profiles
),

traits as materialized (
    select
        profile_key,
        trait ->> 0 as kind,
        trait ->> 1 as item_key,
        trait ->> 2 as detail
    from (
        select profile_key, unnest(from_json(profile_key, '["VARCHAR"]')) as trait
        from profiles
    ) as unnested
),

policy_users as materialized (
    select
        policy_id,
        include_guest_types,
        include_guest_tenants_all,
        includes_legacy_guests,
        exclude_guest_types,
        exclude_guest_tenants_all,
        excludes_legacy_guests
    from int_ca_policy_users
),

by_user_list as (
    select
        t.profile_key,
        l.policy_id,
        l.side,
        'user' as path,
        1 as path_rank,
        l.side || 'Users' as detail,
        true as is_certain
    from traits as t
    inner join int_ca_policy_list_items as l
        on l.item_key = t.item_key
    where t.kind = 'user'
        and l.kind = 'users'
),

by_group as (
    select distinct
        t.profile_key,
        g.policy_id,
        g.side,
        'group' as path,
        2 as path_rank,
        'group ' || g.group_name as detail,
        true as is_certain
    from traits as t
    inner join int_ca_policy_groups as g
        on g.group_id = t.item_key
    where t.kind = 'group'
        and g.is_read
),

by_role as (
    select distinct
        t.profile_key,
        r.policy_id,
        r.side,
        'role' as path,
        3 as path_rank,
        t.detail,
        true as is_certain
    from traits as t
    inner join int_ca_policy_list_items as r
        on r.item_key = t.item_key
    where t.kind = 'role'
        and r.kind = 'roles'
),

external_users as (
    select
        profile_key,
        item_key as guest_type,
        detail as type_detail
    from traits
    where kind = 'guest'
),

guest_settings as (
    select
        policy_id,
        'include' as side,
        include_guest_types as guest_types,
        include_guest_tenants_all as tenants_all,
        includes_legacy_guests as legacy
    from policy_users
    union all
    select
        policy_id,
        'exclude',
        exclude_guest_types,
        exclude_guest_tenants_all,
        excludes_legacy_guests
    from policy_users
),

by_guest_type as (
    select
        e.profile_key,
        s.policy_id,
        s.side,
        'guest' as path,
        4 as path_rank,
        case
            when e.guest_type = 'unknown' then e.type_detail
            when s.tenants_all then e.type_detail
            else e.type_detail || ', externalTenants enumerated: home tenant not in snapshot'
        end as detail,
        e.guest_type = 'b2bcollaborationmember' and s.tenants_all as is_certain
    from external_users as e
    inner join guest_settings as s
        on (e.guest_type = 'unknown' and len(s.guest_types) > 0)
        or list_contains(s.guest_types, e.guest_type)
),

by_legacy_value as (
    select
        e.profile_key,
        s.policy_id,
        s.side,
        'guest' as path,
        4 as path_rank,
        e.type_detail || ' (' || s.side || 'Users GuestsOrExternalUsers)' as detail,
        e.guest_type = 'b2bcollaborationmember' as is_certain
    from external_users as e
    inner join guest_settings as s
        on s.legacy
)

select profile_key, policy_id, side, path, path_rank, detail, is_certain from by_user_list
union all
select profile_key, policy_id, side, path, path_rank, detail, is_certain from by_group
union all
select profile_key, policy_id, side, path, path_rank, detail, is_certain from by_role
union all
select profile_key, policy_id, side, path, path_rank, detail, is_certain from by_guest_type
union all
select profile_key, policy_id, side, path, path_rank, detail, is_certain from by_legacy_value
