-- stg_role_members
-- Grain: one row per (role, member) from GET /directoryRoles/{id}/members.
-- Inputs: directory_role_members.ndjson.gz (context _roleId, _roleTemplateId,
-- _roleDisplayName added by the capture).
-- Output: member_type from @odata.type: user | servicePrincipal | group, else the
-- bare type name (orgContact, device...).
with
source as (
    select
        _roleId,
        _roleTemplateId,
        _roleDisplayName,
        id,
        "@odata.type",
        displayName,
        userPrincipalName
    from read_json(
        getvariable('snapshot_dir') || '/directory_role_members.ndjson.gz',
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            '_roleId': 'varchar',
            '_roleTemplateId': 'varchar',
            '_roleDisplayName': 'varchar',
            'id': 'varchar',
            '@odata.type': 'varchar',
            'displayName': 'varchar',
            'userPrincipalName': 'varchar'
        }
    )
),

typed as (
    select
        _roleId as role_id,
        _roleTemplateId as role_template_id,
        _roleDisplayName as role_display_name,
        id as member_id,
        regexp_replace(lower("@odata.type"), '^#?microsoft\.graph\.', '') as member_type_raw,
        displayName as member_display_name,
        userPrincipalName as member_user_principal_name
    from source
)

select
    role_id,
    role_template_id,
    role_display_name,
    member_id,
    case member_type_raw
        when 'user' then 'user'
        when 'serviceprincipal' then 'servicePrincipal'
        when 'group' then 'group'
        else member_type_raw
    end as member_type,
    member_display_name,
    member_user_principal_name
from typed
