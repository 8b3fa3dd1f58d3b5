-- entra_stale_accounts_90d
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: int_stale_accounts (the rule, docs/kri.md's entra_stale_accounts_90d),
-- int_source_refusals, int_kri_duplicate_warnings.
-- Rule (docs/kri.md): the number of stale enabled members (int_stale_accounts).
-- Fail-safe: signInActivity on /users refused (403) or stripped -> "every enabled
-- member counts as stale (max gap)", degraded; the warning names AuditLog.Read.All.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'users.signInActivity'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_stale_accounts_90d'
)

select
    'entra_stale_accounts_90d' as slug,
    (select count(*) from int_stale_accounts)::double as value,
    refusal.is_refused as degraded,
    list_concat(refusal.warnings, duplicates.warnings) as warnings
from refusal
cross join duplicates
