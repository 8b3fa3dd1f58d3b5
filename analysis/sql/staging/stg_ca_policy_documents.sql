-- stg_ca_policy_documents
-- Grain: one row per Conditional Access policy.
-- Inputs: conditional_access_policies.ndjson.gz, as verified
-- (getvariable('conditional_access_policies_files')).
-- Output: id, name, state, and conditions and grantControls as whole JSON documents:
-- the exact resolver (docs/ca-resolver.md) must see every key, including keys it does
-- not know ("any condition the resolver does not know" narrows), so nothing is cut
-- down to a fixed struct here. A null grantControls is a SQL NULL. A policy Graph sent
-- without an id is kept, never dropped: it gets the key '(no id <n>)', n its line in
-- the file, and has_id false (docs/ca-resolver.md: it covers no one, with a warning).
-- Graph can list an object twice: one_row_per_key keeps one row per id,
-- with listed_rows (docs/kri.md, "Duplicate ids").
with
source as (
    select
        id,
        displayName,
        state,
        conditions,
        grantControls
    from read_json(
        getvariable('conditional_access_policies_files'),
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'displayName': 'varchar',
            'state': 'varchar',
            'conditions': 'json',
            'grantControls': 'json'
        }
    )
),

numbered as (
    select
        *,
        row_number() over () as line_number
    from source
)

select
    coalesce(id, '(no id ' || line_number || ')') as policy_id,
    id is not null as has_id,
    displayName as display_name,
    state,
    conditions,
    grantControls as grant_controls,
    listed_rows
from one_row_per_key(numbered, id)
