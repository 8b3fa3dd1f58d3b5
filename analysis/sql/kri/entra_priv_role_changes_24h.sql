-- entra_priv_role_changes_24h
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: int_role_changes (the rule), int_source_refusals, int_kri_duplicate_warnings.
-- Rule (docs/kri.md): the number of RoleManagement audit events in the window
-- (int_role_changes).
-- Fail-safe: /auditLogs/directoryAudits refused -> 0, degraded.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'directory_audits'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_priv_role_changes_24h'
)

select
    'entra_priv_role_changes_24h' as slug,
    (select count(*) from int_role_changes)::double as value,
    refusal.is_refused as degraded,
    list_concat(refusal.warnings, duplicates.warnings) as warnings
from refusal
cross join duplicates
