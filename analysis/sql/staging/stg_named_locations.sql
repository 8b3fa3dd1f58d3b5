-- stg_named_locations
-- Grain: one row per named location (GET /identity/conditionalAccess/namedLocations).
-- Inputs: named_locations.ndjson.gz, as verified (getvariable('named_locations_files'));
-- absent in snapshots taken before this collection existed (allow_empty: no rows, of one column "empty", hence the union with the typed
-- empty row set).
-- Output: id, name, type and whether it is trusted (docs/ca-resolver.md, "Locations"):
-- an ipNamedLocation's isTrusted as sent (null when Graph left it out: trust unknown);
-- a countryNamedLocation has no isTrusted and is never trusted (false); any other
-- type's trust is unknown (null).
-- Graph can list an object twice: one_row_per_key keeps one row per id, with
-- listed_rows (docs/kri.md, "Duplicate ids").
with
files as (
    select *
    from read_json(
        getvariable('named_locations_files'),
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        allow_empty = true,
        columns = {
            'id': 'varchar',
            'displayName': 'varchar',
            '@odata.type': 'varchar',
            'isTrusted': 'boolean'
        }
    )
    union all by name
    select
        null::varchar as id,
        null::varchar as displayName,
        null::varchar as "@odata.type",
        null::boolean as isTrusted
    where false
),

source as (
    select
        id,
        displayName,
        "@odata.type" as odata_type,
        isTrusted
    from files
)

select
    id as location_id,
    lower(id) as location_key,
    displayName as display_name,
    regexp_replace(coalesce(odata_type, ''), '^#?microsoft\.graph\.', '') as location_type,
    case
        when lower(odata_type) like '%countrynamedlocation' then false
        when lower(odata_type) like '%ipnamedlocation' then isTrusted
    end as is_trusted,
    listed_rows
from one_row_per_key(source, id)
