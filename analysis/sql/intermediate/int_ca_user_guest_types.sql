-- int_ca_user_guest_types
-- Grain: one row per user object in /users.
-- Inputs: stg_users, stg_user_external_markers.
-- Rule (docs/ca-resolver.md, "Guest and external types"): for an enabled member
-- (userType not Guest), with none of the four markers (#EXT# in the user principal
-- name, creationType Invitation, externalUserState set, an ExternalAzureAD identity)
-- it is internal; with all four, which then agree, b2bCollaborationMember; with some
-- but not all, the markers disagree and the type is unknown. Guests (userType Guest)
-- are not enabled members and never counted by the KRI; they get guest_type null.
-- Output: guest_type internal | b2bcollaborationmember | unknown (lower case, as the
-- policies' types are compared), and the markers found, for explain.
with
markers as (
    select
        u.user_id,
        u.is_guest,
        list_filter([
            case when m.has_ext_user_principal_name then '#EXT# in user principal name' end,
            case when m.is_invitation then 'creationType Invitation' end,
            case when m.has_external_user_state then 'externalUserState set' end,
            case when m.has_external_azure_ad_identity then 'ExternalAzureAD identity' end
        ], lambda x: x is not null) as present
    from stg_users as u
    left join stg_user_external_markers as m
        on m.user_id = u.user_id
)

select
    user_id,
    case
        when is_guest then null
        when len(present) = 0 then 'internal'
        when len(present) = 4 then 'b2bcollaborationmember'
        else 'unknown'
    end as guest_type,
    present as markers
from markers
