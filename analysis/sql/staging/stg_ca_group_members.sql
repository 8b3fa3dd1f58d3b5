-- stg_ca_group_members
-- Grain: one row per (group, transitive member) from
-- GET /groups/{id}/transitiveMembers, for each group a Conditional Access policy
-- names in includeGroups or excludeGroups.
-- Inputs: ca_group_members.ndjson.gz (context _groupId, _groupDisplayName). Snapshots
-- taken before this collection existed have no file: allow_empty reads it as no rows
-- (of one column, "empty", hence the union with the typed empty row set), and
-- stg_ca_group_reads then lists no group as read (the resolver's fail-safe).
-- Output: member_type from @odata.type: user | servicePrincipal | group, else the
-- bare type name.
with
files as (
    select *
    from read_json(
        getvariable('snapshot_dir') || '/ca_group_members.ndjson.gz',
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        allow_empty = true,
        columns = {
            '_groupId': 'varchar',
            '_groupDisplayName': 'varchar',
            'id': 'varchar',
            '@odata.type': 'varchar',
            'displayName': 'varchar',
            'userPrincipalName': 'varchar'
        }
    )
    union all by name
    select
        null::varchar as _groupId,
        null::varchar as _groupDisplayName,
        null::varchar as id,
        null::varchar as "@odata.type",
        null::varchar as displayName,
        null::varchar as userPrincipalName
    where false
),

source as (
    select
        _groupId,
        _groupDisplayName,
        id,
        "@odata.type",
        displayName,
        userPrincipalName
    from files
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
