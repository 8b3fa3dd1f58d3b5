-- int_role_changes
-- Grain: one row per RoleManagement audit event in the window: the events
-- entra_priv_role_changes_24h counts and its explain lists, so the two cannot disagree.
-- Inputs: int_role_audit_events, int_source_refusals.
-- Rule (kri.md): "count of directory audits with category = 'RoleManagement' and
-- now - 24 hours <= activityDateTime <= now" (both bounds inclusive; in_window).
-- Fail-safe: /auditLogs/directoryAudits refused -> no rows (the KRI is 0, degraded).
with
refusal as (
    select is_refused from int_source_refusals where source = 'directory_audits'
)

select
    e.audit_id,
    e.activity_at,
    e.activity_display_name,
    e.operation_type,
    e.result,
    e.initiated_by,
    e.target_ids
from int_role_audit_events as e
cross join refusal
where not refusal.is_refused
    and e.in_window
