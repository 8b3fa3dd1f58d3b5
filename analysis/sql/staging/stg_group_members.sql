-- stg_group_members
-- Grain: one row per (group, transitive member) from
-- GET /groups/{id}/transitiveMembers, for each group found among role members.
-- Inputs: stg_directory_members (group_members.ndjson.gz).
-- Output: the group (id, name) and the typed member.
select
    group_id,
    group_display_name,
    member_id,
    member_type,
    member_display_name,
    member_user_principal_name
from stg_directory_members
where collection = 'group_members'
