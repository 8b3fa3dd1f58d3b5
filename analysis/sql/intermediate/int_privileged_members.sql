-- int_privileged_members
-- Grain: one row per (principal, role, path): a principal holding an activated
-- directory role directly (path 'direct') or transitively through a group that is
-- itself a member of the role (path 'group', with via_group_id/name).
-- Inputs: stg_role_members, stg_group_members.
-- Rule (docs/kri.md, shared terms): "privileged users: the distinct user objects that
-- are members of any activated directory role ..., either directly or transitively
-- through a group that is itself a member of a role ... Service principals in roles
-- are not users: they are not counted in the KRI, but they are recorded". Not
-- deduplicated here: callers count distinct principal_id for their principal_type.
with
direct_members as (
    select
        member_id as principal_id,
        member_type as principal_type,
        member_display_name as principal_display_name,
        member_user_principal_name as principal_user_principal_name,
        role_id,
        role_template_id,
        role_display_name,
        'direct' as path,
        null::varchar as via_group_id,
        null::varchar as via_group_display_name
    from stg_role_members
    where member_type in ('user', 'servicePrincipal')
),

role_groups as (
    select
        member_id as group_id,
        member_display_name as group_display_name,
        role_id,
        role_template_id,
        role_display_name
    from stg_role_members
    where member_type = 'group'
),

group_members as (
    select
        g.member_id as principal_id,
        g.member_type as principal_type,
        g.member_display_name as principal_display_name,
        g.member_user_principal_name as principal_user_principal_name,
        r.role_id,
        r.role_template_id,
        r.role_display_name,
        'group' as path,
        r.group_id as via_group_id,
        coalesce(r.group_display_name, g.group_display_name) as via_group_display_name
    from role_groups as r
    inner join stg_group_members as g
        on g.group_id = r.group_id
    where g.member_type in ('user', 'servicePrincipal')
),

unioned as (
    select * from direct_members
    union
    select * from group_members
)

select
    principal_id,
    principal_type,
    principal_display_name,
    principal_user_principal_name,
    role_id,
    role_template_id,
    role_display_name,
    path,
    via_group_id,
    via_group_display_name
from unioned
where principal_id is not null
