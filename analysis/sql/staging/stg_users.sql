-- stg_users
-- Grain: one row per user object in /users (users.ndjson.gz).
-- Inputs: users.ndjson.gz, as verified (getvariable('users_files')).
-- Output: docs/kri.md, shared terms: "enabled_members: users with accountEnabled = true
-- and userType not equal to 'Guest' (a missing/null userType counts as a member)";
-- userType compared case-insensitively. "Never signed in" arrives as null, "" or
-- 0001-01-01T00:00:00Z: all become a NULL last_sign_in_at. Timestamps carry 0 to 7
-- fractional digits (DuckDB keeps 6, truncating the 7th). Also the four markers
-- of a B2B collaboration member (docs/ca-resolver.md, "Guest and external types"):
-- user principal name contains #EXT#, creationType = 'Invitation',
-- externalUserState set, an identity issued by ExternalAzureAD; compared
-- case-insensitively, an empty string counts as not set.
-- Graph can list an object twice: one_row_per_key keeps one row per id,
-- with listed_rows (docs/kri.md, "Duplicate ids").
with
source as (
    select
        id,
        userPrincipalName,
        displayName,
        accountEnabled,
        userType,
        createdDateTime,
        creationType,
        externalUserState,
        identities,
        signInActivity
    from read_json(
        getvariable('users_files'),
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'userPrincipalName': 'varchar',
            'displayName': 'varchar',
            'accountEnabled': 'boolean',
            'userType': 'varchar',
            'createdDateTime': 'varchar',
            'creationType': 'varchar',
            'externalUserState': 'varchar',
            'identities': 'struct("signInType" varchar, "issuer" varchar)[]',
            'signInActivity': 'struct("lastSignInDateTime" varchar)'
        }
    )
),

renamed as (
    select
        id as user_id,
        userPrincipalName as user_principal_name,
        displayName as display_name,
        accountEnabled as account_enabled,
        userType as user_type,
        try_cast(createdDateTime as timestamptz) as created_at,
        signInActivity is not null as has_sign_in_activity,
        nullif(trim(signInActivity.lastSignInDateTime), '') as last_sign_in_raw,
        coalesce(contains(upper(userPrincipalName), '#EXT#'), false)
            as has_ext_user_principal_name,
        coalesce(lower(creationType) = 'invitation', false) as is_invitation,
        coalesce(trim(externalUserState) <> '', false) as has_external_user_state,
        coalesce(
            list_contains(list_transform(identities, lambda i: lower(i.issuer)),
                'externalazuread'),
            false
        ) as has_external_azure_ad_identity,
        listed_rows
    from one_row_per_key(source, id)
),

parsed as (
    select
        user_id,
        user_principal_name,
        display_name,
        account_enabled,
        user_type,
        created_at,
        has_sign_in_activity,
        last_sign_in_raw,
        has_ext_user_principal_name,
        is_invitation,
        has_external_user_state,
        has_external_azure_ad_identity,
        listed_rows,
        try_cast(last_sign_in_raw as timestamptz) as last_sign_in_parsed
    from renamed
),

normalised as (
    select
        user_id,
        user_principal_name,
        display_name,
        account_enabled,
        user_type,
        coalesce(lower(user_type) = 'guest', false) as is_guest,
        created_at,
        has_sign_in_activity,
        last_sign_in_raw,
        -- 0001-01-01T00:00:00Z (with or without fractions) is Graph's "never".
        case
            when year(last_sign_in_parsed) <= 1 then null
            else last_sign_in_parsed
        end as last_sign_in_at,
        has_ext_user_principal_name,
        is_invitation,
        has_external_user_state,
        has_external_azure_ad_identity,
        listed_rows
    from parsed
)

select
    user_id,
    user_principal_name,
    display_name,
    account_enabled,
    user_type,
    is_guest,
    coalesce(account_enabled, false) and not is_guest as is_enabled_member,
    created_at,
    has_sign_in_activity,
    last_sign_in_raw,
    last_sign_in_at,
    has_ext_user_principal_name,
    is_invitation,
    has_external_user_state,
    has_external_azure_ad_identity,
    listed_rows
from normalised
