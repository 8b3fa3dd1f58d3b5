-- stg_ca_policies
-- Grain: one row per Conditional Access policy.
-- Inputs: stg_ca_policy_documents (which reads conditional_access_policies.ndjson.gz).
-- Output: the fields of docs/kri.md's entra_ca_coverage_gaps heuristic: state,
-- conditions.users.includeUsers / excludeUsers, grantControls.builtInControls
-- (grantControls can be null: then built_in_controls is an empty list).
select
    policy_id,
    display_name,
    state,
    coalesce(json_extract_string(conditions, '$.users.includeUsers[*]'), []::varchar[])
        as include_users,
    coalesce(json_extract_string(conditions, '$.users.excludeUsers[*]'), []::varchar[])
        as exclude_users,
    grant_controls is not null as has_grant_controls,
    coalesce(json_extract_string(grant_controls, '$.builtInControls[*]'), []::varchar[])
        as built_in_controls
from stg_ca_policy_documents
