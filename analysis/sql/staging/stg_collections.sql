-- stg_collections
-- Grain: one row per collection listed in manifest.json.
-- Inputs: manifest.json, as verified (getvariable('manifest_file'); docs/snapshot-format.md,
-- "manifest.json").
-- Output: how Graph answered each collection: outcome (ok | forbidden |
-- not_found), HTTP status, Graph error code and message; for users, whether
-- signInActivity came back (ok | forbidden | stripped); for sign_ins, whether the
-- failure filter was applied (failures_only | all); for ca_group_members, the
-- outcome of each group read (group_reads, unnested by stg_ca_group_reads).
with
source as (
    select unnest(collections) as collection
    from read_json(
        getvariable('manifest_file'),
        format = 'auto',
        hive_partitioning = false,
        columns = {
            'collections': 'struct(
                "name" varchar,
                "url" varchar,
                "outcome" varchar,
                "http_status" integer,
                "error" struct("code" varchar, "message" varchar),
                "items" bigint,
                "file" varchar,
                "sign_in_activity" varchar,
                "filter" varchar,
                "groups" struct(
                    "id" varchar,
                    "display_name" varchar,
                    "outcome" varchar,
                    "http_status" integer,
                    "items" bigint,
                    "error" struct("code" varchar, "message" varchar)
                )[]
            )[]'
        }
    )
),

renamed as (
    select
        collection.name as collection_name,
        collection.url as request_url,
        lower(collection.outcome) as outcome,
        collection.http_status as http_status,
        collection.error.code as error_code,
        collection.error.message as error_message,
        collection.items as item_count,
        collection.file as file_name,
        lower(collection.sign_in_activity) as sign_in_activity,
        lower(collection.filter) as sign_in_filter,
        collection.groups as group_reads
    from source
)

select
    collection_name,
    request_url,
    outcome,
    outcome in ('forbidden', 'not_found') as is_refused,
    http_status,
    error_code,
    error_message,
    item_count,
    file_name,
    sign_in_activity,
    sign_in_filter,
    group_reads
from renamed
