-- entra_priv_role_changes_24h
-- Grain: one row per RoleManagement audit event in the window (the KRI value is the
-- row count).
-- Inputs: int_role_changes (the rule and its fail-safe).
-- Rule (docs/kri.md): category = 'RoleManagement' and now - 24 hours <= activityDateTime <=
-- now; none when /auditLogs/directoryAudits was refused (the KRI is 0, degraded).
select
    audit_id as id,
    activity_at,
    activity_display_name,
    operation_type,
    result,
    initiated_by,
    target_ids
from int_role_changes
order by activity_at, audit_id
