-- stg_directory_roles
-- Grain: one row per activated directory role (GET /directoryRoles).
-- Inputs: directory_roles.ndjson.gz.
-- Output: role id, the template id (what Conditional Access includeRoles holds) and
-- display name.
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
)

select
    id as role_id,
    roleTemplateId as role_template_id,
    displayName as role_display_name
from source
