-- entra_stale_accounts_90d
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: int_stale_accounts (the rule, kri.md's entra_stale_accounts_90d),
-- int_source_refusals.
-- Rule (kri.md): the number of stale enabled members (int_stale_accounts).
-- Fail-safe: signInActivity on /users refused (403) or stripped -> "every enabled
-- member counts as stale (max gap)", degraded; the warning names AuditLog.Read.All.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'users.signInActivity'
)

select
    'entra_stale_accounts_90d' as slug,
    (select count(*) from int_stale_accounts)::double as value,
    refusal.is_refused as degraded,
    refusal.warnings as warnings
from refusal
