-- stg_user_external_markers
-- Grain: one row per user object in /users.
-- Inputs: users.ndjson.gz.
-- Output: docs/ca-resolver.md, "Guest and external types": the four markers of a
-- B2B collaboration member: user principal name contains #EXT#, creationType =
-- 'Invitation', externalUserState set, an identity issued by ExternalAzureAD.
-- Compared case-insensitively; an empty string counts as not set.
with
source as (
    select
        id,
        userPrincipalName,
        creationType,
        externalUserState,
        identities
    from read_json(
        getvariable('snapshot_dir') || '/users.ndjson.gz',
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'userPrincipalName': 'varchar',
            'creationType': 'varchar',
            'externalUserState': 'varchar',
            'identities': 'struct("signInType" varchar, "issuer" varchar)[]'
        }
    )
)

select
    id as user_id,
    coalesce(contains(upper(userPrincipalName), '#EXT#'), false) as has_ext_user_principal_name,
    coalesce(lower(creationType) = 'invitation', false) as is_invitation,
    coalesce(trim(externalUserState) <> '', false) as has_external_user_state,
    coalesce(
        list_contains(list_transform(identities, lambda i: lower(i.issuer)), 'externalazuread'),
        false
    ) as has_external_azure_ad_identity
from source
