-- diff_memberships
-- Grain: one row per (principal, role, path), as int_privileged_members.
-- Inputs: int_privileged_members.
-- Output: the role memberships `diff` compares (docs/audit.md, "diff OLD NEW"), with
-- the principal's name.
select
    principal_id,
    principal_type,
    coalesce(principal_user_principal_name, principal_display_name) as principal_name,
    role_id,
    role_display_name,
    path,
    via_group_id,
    via_group_display_name
from int_privileged_members
