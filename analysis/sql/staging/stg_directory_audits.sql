-- stg_directory_audits
-- Grain: one row per directory audit event captured for
-- [captured_at - 24h, captured_at].
-- Inputs: directory_audits.ndjson.gz, as verified (getvariable('directory_audits_files')).
-- Output: activity_at (0 to 7 fractional digits parsed), the free-text category,
-- who initiated the event (docs/graph-behaviour.md: one of initiatedBy.user / initiatedBy.app is
-- null) and the ids of its target resources (users, groups, service principals, roles).
-- Graph can list an object twice: one_row_per_key keeps one row per id,
-- with listed_rows (docs/kri.md, "Duplicate ids").
with
source as (
    select
        id,
        activityDateTime,
        category,
        activityDisplayName,
        operationType,
        result,
        initiatedBy,
        targetResources
    from read_json(
        getvariable('directory_audits_files'),
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'activityDateTime': 'varchar',
            'category': 'varchar',
            'activityDisplayName': 'varchar',
            'operationType': 'varchar',
            'result': 'varchar',
            'initiatedBy': 'struct(
                "user" struct("id" varchar, "userPrincipalName" varchar),
                "app" struct("servicePrincipalId" varchar, "displayName" varchar)
            )',
            'targetResources': 'struct("id" varchar, "type" varchar)[]'
        }
    )
)

select
    id as audit_id,
    try_cast(activityDateTime as timestamptz) as activity_at,
    category,
    activityDisplayName as activity_display_name,
    operationType as operation_type,
    result,
    coalesce(
        initiatedBy.user.userPrincipalName,
        initiatedBy.app.displayName,
        initiatedBy.user.id,
        initiatedBy.app.servicePrincipalId
    ) as initiated_by,
    coalesce([t.id for t in targetResources if t.id is not null], []::varchar[]) as target_ids,
    listed_rows
from one_row_per_key(source, id)
