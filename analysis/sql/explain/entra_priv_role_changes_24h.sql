-- entra_priv_role_changes_24h
-- Grain: one row per RoleManagement audit event in the window (the KRI value is the
-- row count).
-- Inputs: role_audit_events, int_source_refusals.
-- Rule (kri.md): category = 'RoleManagement' and now - 24 hours <= activityDateTime <=
-- now; none when /auditLogs/directoryAudits was refused (the KRI is 0, degraded).
with
refusal as (
    select is_refused from int_source_refusals where source = 'directory_audits'
)

select
    e.audit_id as id,
    e.activity_at,
    e.activity_display_name,
    e.operation_type,
    e.result,
    e.initiated_by,
    e.target_ids
from role_audit_events as e
cross join refusal
where not refusal.is_refused
    and e.in_window
order by e.activity_at, e.audit_id
