-- int_role_changes
-- Grain: one row per RoleManagement audit event in the window: the events
-- entra_priv_role_changes_24h counts and its explain lists, so the two cannot disagree.
-- Inputs: int_role_audit_events, int_source_refusals.
-- Rule (docs/kri.md): "count of directory audits with category = 'RoleManagement' and
-- now - 24 hours <= activityDateTime <= now" (both bounds inclusive; in_window).
-- Fail-safe: /auditLogs/directoryAudits refused -> no rows (the KRI is 0, degraded).
-- Output: the columns of int_role_audit_events but in_window.
with
refusal as (
    select is_refused from int_source_refusals where source = 'directory_audits'
)

select e.* exclude (in_window)
from int_role_audit_events as e
cross join refusal
where not refusal.is_refused
    and e.in_window
