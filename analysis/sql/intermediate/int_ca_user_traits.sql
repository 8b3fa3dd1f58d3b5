-- int_ca_user_traits
-- Grain: one row per (user, trait): a fact about a user that a Conditional Access
-- policy's user lists can name (docs/ca-resolver.md rules 1 and 2), other than 'All'.
-- Inputs: int_ca_policy_list_items, int_ca_policy_groups, stg_ca_group_members,
-- int_privileged_users, int_ca_user_guest_types.
-- Rule: the traits are the user's own id, when some policy lists it in include/excludeUsers;
-- each group some policy names whose transitive members were read and contain the user;
-- each activated directory role some policy names that the user holds (directly or
-- through a role-assignable group, with that path as its detail); the user's
-- guest/external type when it is b2bCollaborationMember or unknown (markers disagree),
-- with the markers as its detail. Users with the same traits fall under the same
-- policies in the same ways (int_ca_profile_policy_matches), so the resolver works per
-- set of traits (int_ca_user_profiles), not per user.
-- Output: user_key (lower-cased user id), kind (user | group | role | guest), item_key
-- (the lower-cased id, role template id or guest type), detail, and trait: the three as
-- one JSON array, so that a set of traits is a sorted list of strings.
with
listed_users as (
    select distinct item_key as user_key
    from int_ca_policy_list_items
    where kind = 'users'
        and item_key not in ('all', 'none', 'guestsorexternalusers')
),

read_groups as (
    select distinct group_id
    from int_ca_policy_groups
    where is_read
),

named_roles as (
    select distinct item_key as role_template_id
    from int_ca_policy_list_items
    where kind = 'roles'
),

traits as (
    select
        user_key,
        'user' as kind,
        user_key as item_key,
        '' as detail
    from listed_users
    union
    select
        lower(m.member_id),
        'group',
        g.group_id,
        ''
    from stg_ca_group_members as m
    inner join read_groups as g
        on g.group_id = lower(m.group_id)
    where m.member_type = 'user'
    union
    select
        lower(p.user_id),
        'role',
        r.role_template_id,
        'role ' || coalesce(p.role_display_name, p.role_template_id)
        || coalesce(' through group ' || p.via_group_display_name, '')
    from int_privileged_users as p
    inner join named_roles as r
        on r.role_template_id = lower(p.role_template_id)
    union
    select
        lower(user_id),
        'guest',
        guest_type,
        case guest_type
            when 'b2bcollaborationmember' then 'guest/external type b2bCollaborationMember'
            else 'guest/external type unknown (markers disagree: '
                || array_to_string(markers, ', ') || ')'
        end
    from int_ca_user_guest_types
)

select
    user_key,
    kind,
    item_key,
    detail,
    to_json([kind, item_key, detail])::varchar as trait
from traits
