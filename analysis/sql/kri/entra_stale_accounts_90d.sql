-- entra_stale_accounts_90d
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: stg_manifest (now), stg_users, int_source_refusals.
-- Rule (kri.md): "count of enabled_members whose signInActivity is missing/null, or
-- whose signInActivity.lastSignInDateTime means "never" (null, "" or
-- 0001-01-01T00:00:00Z ...), or is < now - 90 days." Exactly now - 90 days is not
-- stale. stg_users turns every "never" spelling into a NULL last_sign_in_at.
-- Fail-safe: signInActivity on /users refused (403) or stripped -> "every enabled
-- member counts as stale (max gap)", degraded; the warning names AuditLog.Read.All.
with
now_at as (
    select captured_at as now_at
    from stg_manifest
),

refusal as (
    select is_refused, warnings from int_source_refusals where source = 'users.signInActivity'
),

stale_members as (
    select u.user_id
    from stg_users as u
    cross join now_at as n
    cross join refusal
    where u.is_enabled_member
        and (
            refusal.is_refused
            or u.last_sign_in_at is null
            or u.last_sign_in_at < n.now_at - interval 90 days
        )
)

select
    'entra_stale_accounts_90d' as slug,
    (select count(*) from stale_members)::double as value,
    refusal.is_refused as degraded,
    refusal.warnings as warnings
from refusal
