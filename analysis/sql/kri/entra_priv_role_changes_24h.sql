-- entra_priv_role_changes_24h
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: stg_manifest (now), stg_directory_audits, int_source_refusals, int_kri_duplicate_warnings.
-- Rule (kri.md): "count of directory audits with category = 'RoleManagement' and
-- now - 24 hours <= activityDateTime <= now" (both bounds inclusive).
-- Fail-safe: /auditLogs/directoryAudits refused -> 0, degraded.
with
now_at as (
    select captured_at as now_at
    from stg_manifest
),

refusal as (
    select is_refused, warnings from int_source_refusals where source = 'directory_audits'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_priv_role_changes_24h'
),

role_changes as (
    select a.audit_id
    from stg_directory_audits as a
    cross join now_at as n
    where a.category = 'RoleManagement'
        and a.activity_at between n.now_at - interval 24 hours and n.now_at
)

select
    'entra_priv_role_changes_24h' as slug,
    case
        when refusal.is_refused then 0
        else (select count(*) from role_changes)
    end::double as value,
    refusal.is_refused as degraded,
    list_concat(refusal.warnings, duplicates.warnings) as warnings
from refusal
cross join duplicates
