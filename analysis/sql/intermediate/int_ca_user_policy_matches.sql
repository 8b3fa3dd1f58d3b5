-- int_ca_user_policy_matches
-- Grain: one row per (user, policy, side, path, detail): a way a user falls under a
-- policy's include (side include) or exclude (side exclude) lists, other than 'All'
-- (a per-policy flag in int_ca_policy_users) and unread groups (int_ca_policy_groups).
-- Inputs: int_ca_policy_list_items, int_ca_policy_users, int_ca_policy_groups,
-- stg_ca_group_members, int_privileged_users, int_ca_user_guest_types.
-- Rule (docs/ca-resolver.md rules 1 and 2): the user's id is listed; a group in the
-- list contains the user transitively; the user holds an activated directory role
-- whose roleTemplateId is listed, directly or through a role-assignable group
-- (transitively); the user's guest/external type is listed in
-- include/excludeGuestsOrExternalUsers, or the legacy value GuestsOrExternalUsers is
-- in include/excludeUsers and the user has a guest/external type. is_certain is false
-- where the snapshot does not decide: a guest/external type that is unknown (markers
-- disagree), or externalTenants that are enumerated (the user's home tenant is not in
-- the snapshot). An uncertain include does not include; an uncertain exclude excludes.
-- Output: user_key is the lower-cased user id; path_rank orders the reasons.
with
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
        user_key,
        policy_id,
        side,
        'user' as path,
        1 as path_rank,
        side || 'Users' as detail,
        true as is_certain
    from (
        select policy_id, side, item_key as user_key
        from int_ca_policy_list_items
        where kind = 'users'
    ) as listed
    where user_key not in ('all', 'none', 'guestsorexternalusers')
),

by_group as (
    select distinct
        lower(m.member_id) as user_key,
        g.policy_id,
        g.side,
        'group' as path,
        2 as path_rank,
        'group ' || g.group_name as detail,
        true as is_certain
    from int_ca_policy_groups as g
    inner join stg_ca_group_members as m
        on lower(m.group_id) = g.group_id
    where g.is_read
        and m.member_type = 'user'
),

by_role as (
    select distinct
        lower(p.user_id) as user_key,
        r.policy_id,
        r.side,
        'role' as path,
        3 as path_rank,
        'role ' || coalesce(p.role_display_name, p.role_template_id)
        || coalesce(' through group ' || p.via_group_display_name, '') as detail,
        true as is_certain
    from int_ca_policy_list_items as r
    inner join int_privileged_users as p
        on lower(p.role_template_id) = r.item_key
    where r.kind = 'roles'
),

external_users as (
    select
        lower(user_id) as user_key,
        guest_type,
        case guest_type
            when 'b2bcollaborationmember' then 'guest/external type b2bCollaborationMember'
            else 'guest/external type unknown (markers disagree: '
                || array_to_string(markers, ', ') || ')'
        end as type_detail
    from int_ca_user_guest_types
    where guest_type in ('b2bcollaborationmember', 'unknown')
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
        e.user_key,
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
        e.user_key,
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

select user_key, policy_id, side, path, path_rank, detail, is_certain from by_user_list
union all
select user_key, policy_id, side, path, path_rank, detail, is_certain from by_group
union all
select user_key, policy_id, side, path, path_rank, detail, is_certain from by_role
union all
select user_key, policy_id, side, path, path_rank, detail, is_certain from by_guest_type
union all
select user_key, policy_id, side, path, path_rank, detail, is_certain from by_legacy_value
