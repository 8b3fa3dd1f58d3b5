-- stg_user_external_markers
-- Grain: one row per user object in /users.
-- Inputs: stg_users (which reads users.ndjson.gz once for every staging need).
-- Output: docs/ca-resolver.md, "Guest and external types": the four markers of a
-- B2B collaboration member, as stg_users derives them.
select
    user_id,
    has_ext_user_principal_name,
    is_invitation,
    has_external_user_state,
    has_external_azure_ad_identity
from stg_users
