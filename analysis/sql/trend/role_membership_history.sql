-- role_membership_history
-- Direct directory role members: first and last snapshot each was seen in.
-- A member that left and came back shows one span from first to last.
-- Grain: one row per (role, direct member).
-- Inputs: directory_role_members (all snapshots of the tenant).
-- Rule: direct members as GET /directoryRoles/{id}/members returns them; members
-- through a role-assignable group are in group_members.
with
memberships as (
    select
        _roleDisplayName as role_display_name,
        id as member_id,
        coalesce(userPrincipalName, displayName) as member_name,
        "@odata.type" as member_type,
        snapshot_id,
        captured_at
    from directory_role_members
)

select
    role_display_name,
    member_id,
    any_value(member_name) as member_name,
    any_value(member_type) as member_type,
    min(snapshot_id) as first_seen_in,
    max(snapshot_id) as last_seen_in,
    count(*) as snapshots
from memberships
group by role_display_name, member_id
order by role_display_name, first_seen_in, member_id
