-- stg_authentication_strength_policies
-- Grain: one row per authentication strength (GET /policies/authenticationStrengthPolicies:
-- the built-in ones and the tenant's custom ones).
-- Inputs: authentication_strength_policies.ndjson.gz, as verified
-- (getvariable('authentication_strength_policies_files')); absent in snapshots taken before
-- this collection existed (allow_empty: no rows, of one column "empty", hence the
-- union with the typed empty row set).
-- Output: id, name, type (builtIn | custom) and allowedCombinations, each a
-- comma-joined list of methods ('password,sms').
-- Graph can list an object twice: one_row_per_key keeps one row per id,
-- with listed_rows (docs/kri.md, "Duplicate ids").
with
files as (
    select *
    from read_json(
        getvariable('authentication_strength_policies_files'),
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        allow_empty = true,
        columns = {
            'id': 'varchar',
            'displayName': 'varchar',
            'policyType': 'varchar',
            'allowedCombinations': 'varchar[]'
        }
    )
    union all by name
    select
        null::varchar as id,
        null::varchar as displayName,
        null::varchar as policyType,
        null::varchar[] as allowedCombinations
    where false
),

source as (
    select
        id,
        displayName,
        policyType,
        allowedCombinations
    from files
)

select
    id as strength_id,
    displayName as display_name,
    policyType as policy_type,
    coalesce(allowedCombinations, []::varchar[]) as allowed_combinations,
    listed_rows
from one_row_per_key(source, id)
