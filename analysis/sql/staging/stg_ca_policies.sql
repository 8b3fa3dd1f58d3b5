-- stg_ca_policies
-- Grain: one row per Conditional Access policy.
-- Inputs: conditional_access_policies.ndjson.gz.
-- Output: the fields of kri.md's entra_ca_coverage_gaps heuristic: state,
-- conditions.users.includeUsers / excludeUsers, grantControls.builtInControls
-- (grantControls can be null: then built_in_controls is an empty list).
with
source as (
    select
        id,
        displayName,
        state,
        conditions,
        grantControls
    from read_json(
        getvariable('snapshot_dir') || '/conditional_access_policies.ndjson.gz',
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'displayName': 'varchar',
            'state': 'varchar',
            'conditions': 'struct(
                "users" struct("includeUsers" varchar[], "excludeUsers" varchar[])
            )',
            'grantControls': 'struct("operator" varchar, "builtInControls" varchar[])'
        }
    )
)

select
    id as policy_id,
    displayName as display_name,
    state,
    coalesce(conditions.users.includeUsers, []::varchar[]) as include_users,
    coalesce(conditions.users.excludeUsers, []::varchar[]) as exclude_users,
    grantControls is not null as has_grant_controls,
    coalesce(grantControls.builtInControls, []::varchar[]) as built_in_controls
from source
