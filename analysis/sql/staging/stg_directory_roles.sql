-- stg_directory_roles
-- Grain: one row per activated directory role (GET /directoryRoles).
-- Inputs: directory_roles.ndjson.gz.
-- Output: role id, the template id (what Conditional Access includeRoles holds) and
-- display name.
-- Graph can list an object twice (pages read while the directory changes): one row
-- per id is kept, the same one on every run, with the number of rows the file
-- holds for it (docs/kri.md, "Duplicate ids").
with
source as (
    select
        id,
        roleTemplateId,
        displayName
    from read_json(
        getvariable('snapshot_dir') || '/directory_roles.ndjson.gz',
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'roleTemplateId': 'varchar',
            'displayName': 'varchar'
        }
    )
),

deduplicated as (
    select
        *,
        case when id is null then 1 else count(*) over (partition by id) end
            as listed_rows
    from source
    qualify id is null
        or row_number() over (partition by id order by source) = 1
)

select
    id as role_id,
    roleTemplateId as role_template_id,
    displayName as role_display_name,
    listed_rows
from deduplicated
