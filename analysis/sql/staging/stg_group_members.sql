-- stg_group_members
-- Grain: one row per (group, transitive member) from
-- GET /groups/{id}/transitiveMembers, for each group found among role members.
-- Inputs: group_members.ndjson.gz (context _groupId, _groupDisplayName).
-- Output: member_type from @odata.type: user | servicePrincipal | group, else the
-- bare type name.
with
source as (
    select
        _groupId,
        _groupDisplayName,
        id,
        "@odata.type",
        displayName,
        userPrincipalName
    from read_json(
        getvariable('snapshot_dir') || '/group_members.ndjson.gz',
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
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
        _groupId as group_id,
        _groupDisplayName as group_display_name,
        id as member_id,
        regexp_replace(lower("@odata.type"), '^#?microsoft\.graph\.', '') as member_type_raw,
        displayName as member_display_name,
        userPrincipalName as member_user_principal_name
    from source
)

select
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
    member_user_principal_name
from typed
