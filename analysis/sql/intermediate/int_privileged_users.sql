-- int_privileged_users
-- Grain: one row per (user, role, path); path is 'direct' or 'group' (then
-- via_group_id / via_group_display_name name the role-assignable group).
-- Inputs: int_privileged_members.
-- Rule (docs/kri.md, shared terms): "privileged users: the distinct user objects that are
-- members of any activated directory role ... Deduplicate across roles and paths."
-- The deduplication is the consumer's count(distinct user_id).
select
    principal_id as user_id,
    principal_display_name as display_name,
    principal_user_principal_name as user_principal_name,
    role_id,
    role_template_id,
    role_display_name,
    path,
    via_group_id,
    via_group_display_name
from int_privileged_members
where principal_type = 'user'
