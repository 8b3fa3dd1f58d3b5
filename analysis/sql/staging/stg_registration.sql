-- stg_registration
-- Grain: one row per userRegistrationDetails row (one per enabled user; Graph gives
-- disabled users no row).
-- Inputs: user_registration_details.ndjson.gz, as verified
-- (getvariable('user_registration_details_files')).
-- Output: docs/kri.md, shared terms: "registered(u): the userRegistrationDetails row whose
-- id equals the user's id has isMfaRegistered = true. A user with no row, or a null
-- value, is not registered." userType here is member/guest (lower case).
-- Graph can list an object twice: one_row_per_key keeps one row per id,
-- with listed_rows (docs/kri.md, "Duplicate ids").
with
source as (
    select
        id,
        userPrincipalName,
        userType,
        isMfaRegistered
    from read_json(
        getvariable('user_registration_details_files'),
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'userPrincipalName': 'varchar',
            'userType': 'varchar',
            'isMfaRegistered': 'boolean'
        }
    )
)

select
    id as user_id,
    userPrincipalName as user_principal_name,
    lower(userType) as user_type,
    isMfaRegistered as is_mfa_registered_raw,
    coalesce(isMfaRegistered, false) as is_mfa_registered,
    listed_rows
from one_row_per_key(source, id)
