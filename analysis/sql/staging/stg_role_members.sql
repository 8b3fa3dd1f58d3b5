-- stg_role_members
-- Grain: one row per (role, member) from GET /directoryRoles/{id}/members.
-- Inputs: stg_directory_members (directory_role_members.ndjson.gz).
-- Output: the role (id, template id, name) and the typed member.
select
    role_id,
    role_template_id,
    role_display_name,
    member_id,
    member_type,
    member_display_name,
    member_user_principal_name
from stg_directory_members
where collection = 'directory_role_members'
