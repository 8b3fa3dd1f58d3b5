-- int_role_audit_events
-- Grain: one row per RoleManagement directory audit event in the snapshot.
-- Inputs: stg_directory_audits, stg_manifest.
-- Output: the event, who initiated it, the ids of its target resources (users,
-- groups, service principals, roles), and in_window: docs/kri.md's
-- now - 24 hours <= activityDateTime <= now.
select
    e.audit_id,
    e.activity_at,
    e.activity_display_name,
    e.operation_type,
    e.result,
    e.initiated_by,
    e.target_ids,
    e.activity_at between m.captured_at - interval 24 hours and m.captured_at as in_window
from stg_directory_audits as e
cross join stg_manifest as m
where e.category = 'RoleManagement'
