-- stg_sign_ins
-- Grain: one row per sign-in captured for [captured_at - 24h, captured_at]. The
-- capture stores failures only, or every sign-in when Graph rejected the failure
-- filter (stg_collections.sign_in_filter): the failure test is applied downstream.
-- Inputs: sign_ins.ndjson.gz, as verified (getvariable('sign_ins_files')).
-- Output: created_at (0 to 7 fractional digits parsed) and status.errorCode.
-- Graph can list an object twice: one_row_per_key keeps one row per id,
-- with listed_rows (docs/kri.md, "Duplicate ids").
with
source as (
    select
        id,
        createdDateTime,
        userId,
        userPrincipalName,
        appDisplayName,
        status
    from read_json(
        getvariable('sign_ins_files'),
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'createdDateTime': 'varchar',
            'userId': 'varchar',
            'userPrincipalName': 'varchar',
            'appDisplayName': 'varchar',
            'status': 'struct("errorCode" bigint, "failureReason" varchar)'
        }
    )
)

select
    id as sign_in_id,
    try_cast(createdDateTime as timestamptz) as created_at,
    userId as user_id,
    userPrincipalName as user_principal_name,
    appDisplayName as app_display_name,
    status.errorCode as error_code,
    status.failureReason as failure_reason,
    listed_rows
from one_row_per_key(source, id)
