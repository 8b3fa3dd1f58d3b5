-- int_ca_user_guest_types
-- Grain: one row per enabled member with at least one guest/external marker (the
-- others are internal: guest/external lists never apply to them).
-- Inputs: stg_users.
-- Rule (docs/ca-resolver.md, "Guest and external types"): for an enabled member
-- (userType not Guest), with none of the four markers (#EXT# in the user principal
-- name, creationType Invitation, externalUserState set, an ExternalAzureAD identity)
-- it is internal; with all four, which then agree, b2bCollaborationMember; with some
-- but not all, the markers disagree and the type is unknown. Guests (userType Guest)
-- are not enabled members and never counted by the KRI.
-- Output: guest_type b2bcollaborationmember | unknown (lower case, as the policies'
-- types are compared), and the markers found, for explain.
with
marked as (
    select
        user_id,
        list_filter([
            case when has_ext_user_principal_name then '#EXT# in user principal name' end,
            case when is_invitation then 'creationType Invitation' end,
            case when has_external_user_state then 'externalUserState set' end,
            case when has_external_azure_ad_identity then 'ExternalAzureAD identity' end
        ], lambda x: x is not null) as present
    from stg_users
    where is_enabled_member
        and (has_ext_user_principal_name
            or is_invitation
            or has_external_user_state
            or has_external_azure_ad_identity)
)

select
    user_id,
    case when len(present) = 4 then 'b2bcollaborationmember' else 'unknown' end as guest_type,
    present as markers
from marked
