-- stg_directory_audits
-- Grain: one row per directory audit event captured for
-- [captured_at - 24h, captured_at].
-- Inputs: directory_audits.ndjson.gz.
-- Output: activity_at (0 to 7 fractional digits parsed) and the free-text category.
with
source as (
    select
        id,
        activityDateTime,
        category,
        activityDisplayName,
        operationType,
        result
    from read_json(
        getvariable('snapshot_dir') || '/directory_audits.ndjson.gz',
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'activityDateTime': 'varchar',
            'category': 'varchar',
            'activityDisplayName': 'varchar',
            'operationType': 'varchar',
            'result': 'varchar'
        }
    )
)

select
    id as audit_id,
    try_cast(activityDateTime as timestamptz) as activity_at,
    category,
    activityDisplayName as activity_display_name,
    operationType as operation_type,
    result
from source
