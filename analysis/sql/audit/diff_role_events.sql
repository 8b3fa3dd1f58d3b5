-- diff_role_events
-- Grain: one row per RoleManagement directory audit event in the snapshot.
-- Inputs: int_role_audit_events.
-- Output: the events `diff` matches role-membership changes with, by the ids of
-- their target resources (docs/audit.md, "diff OLD NEW").
select
    audit_id,
    activity_at,
    activity_display_name,
    target_ids
from int_role_audit_events
order by activity_at, audit_id
