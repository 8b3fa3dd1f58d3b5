-- stg_directory_members
-- Grain: one row per member object in the three member collections:
-- directory_role_members (GET /directoryRoles/{id}/members, context _roleId,
-- _roleTemplateId, _roleDisplayName), group_members and ca_group_members
-- (GET /groups/{id}/transitiveMembers, context _groupId, _groupDisplayName).
-- Inputs: the three member files, as verified (getvariable('directory_role_members_files'),
-- 'group_members_files', 'ca_group_members_files'; snapshots taken before
-- ca_group_members existed simply have no rows for it). The format names each file
-- after its collection (docs/snapshot-format.md), so the file name says which it is.
-- Output: the collection each row came from, its context, and member_type from
-- @odata.type: user | servicePrincipal | group, else the bare type name
-- (orgContact, device...).
-- Graph can list an object twice: one_row_per_key keeps one row per (collection,
-- role or group, member id), with listed_rows (docs/kri.md, "Duplicate ids").
with
source as (
    select
        regexp_extract(filename, '([a-z_]+)\.ndjson\.gz$', 1) as collection,
        _roleId,
        _roleTemplateId,
        _roleDisplayName,
        _groupId,
        _groupDisplayName,
        id,
        "@odata.type",
        displayName,
        userPrincipalName
    from read_json(
        getvariable('directory_role_members_files')
        || getvariable('group_members_files')
        || getvariable('ca_group_members_files'),
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        filename = true,
        columns = {
            '_roleId': 'varchar',
            '_roleTemplateId': 'varchar',
            '_roleDisplayName': 'varchar',
            '_groupId': 'varchar',
            '_groupDisplayName': 'varchar',
            'id': 'varchar',
            '@odata.type': 'varchar',
            'displayName': 'varchar',
            'userPrincipalName': 'varchar'
        }
    )
),

typed as (
    select
        collection,
        _roleId as role_id,
        _roleTemplateId as role_template_id,
        _roleDisplayName as role_display_name,
        _groupId as group_id,
        _groupDisplayName as group_display_name,
        id as member_id,
        regexp_replace(lower("@odata.type"), '^#?microsoft\.graph\.', '') as member_type_raw,
        displayName as member_display_name,
        userPrincipalName as member_user_principal_name,
        listed_rows
    from one_row_per_key(source, if(id is null, null, [collection, _roleId, _groupId, id]))
)

select
    collection,
    role_id,
    role_template_id,
    role_display_name,
    group_id,
    group_display_name,
    member_id,
    case member_type_raw
        when 'user' then 'user'
        when 'serviceprincipal' then 'servicePrincipal'
        when 'group' then 'group'
        else member_type_raw
    end as member_type,
    member_display_name,
    member_user_principal_name,
    listed_rows
from typed
