-- stg_directory_roles
-- Grain: one row per activated directory role (GET /directoryRoles).
-- Inputs: directory_roles.ndjson.gz, as verified (getvariable('directory_roles_files')).
-- Output: role id, the template id (what Conditional Access includeRoles holds) and
-- display name.
-- Graph can list an object twice: one_row_per_key keeps one row per id,
-- with listed_rows (docs/kri.md, "Duplicate ids").
with
source as (
    select
        id,
        roleTemplateId,
        displayName
    from read_json(
        getvariable('directory_roles_files'),
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
    displayName as role_display_name,
    listed_rows
from one_row_per_key(source, id)
