-- stg_ca_group_members
-- Grain: one row per (group, transitive member) from
-- GET /groups/{id}/transitiveMembers, for each group a Conditional Access policy
-- names in includeGroups or excludeGroups.
-- Inputs: stg_directory_members (ca_group_members.ndjson.gz).
-- Output: the group (id, name) and the typed member.
select
    group_id,
    group_display_name,
    member_id,
    member_type,
    member_display_name,
    member_user_principal_name
from stg_directory_members
where collection = 'ca_group_members'
