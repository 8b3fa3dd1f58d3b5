-- stg_manifest
-- Grain: one row per snapshot (the manifest).
-- Inputs: manifest.json, as verified (getvariable('manifest_file')).
-- Output: the snapshot's identity and its "now": docs/kri.md, shared terms: "now: the
-- snapshot's captured_at (UTC, from manifest.json), never the wall clock".
with
source as (
    select
        format_version,
        tool_version,
        tenant_id,
        snapshot_id,
        captured_at,
        complete,
        warnings
    from read_json(
        getvariable('manifest_file'),
        format = 'auto',
        hive_partitioning = false,
        columns = {
            'format_version': 'integer',
            'tool_version': 'varchar',
            'tenant_id': 'varchar',
            'snapshot_id': 'varchar',
            'captured_at': 'varchar',
            'complete': 'boolean',
            'warnings': 'varchar[]'
        }
    )
),

renamed as (
    select
        format_version,
        tool_version,
        tenant_id,
        snapshot_id,
        captured_at as captured_at_raw,
        cast(captured_at as timestamptz) as captured_at,
        complete as is_complete,
        coalesce(warnings, []::varchar[]) as warnings
    from source
)

select
    format_version,
    tool_version,
    tenant_id,
    snapshot_id,
    captured_at_raw,
    captured_at,
    is_complete,
    warnings
from renamed
