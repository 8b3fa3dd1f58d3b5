-- int_stale_accounts
-- Grain: one row per stale enabled member: the accounts entra_stale_accounts_90d
-- counts and its explain lists, so the two cannot disagree.
-- Inputs: stg_manifest (now), stg_users, int_source_refusals.
-- Rule (docs/kri.md): "count of enabled_members whose signInActivity is missing/null, or
-- whose signInActivity.lastSignInDateTime means "never" (null, "" or
-- 0001-01-01T00:00:00Z ...), or is < now - 90 days." Exactly now - 90 days is not
-- stale. stg_users turns every "never" spelling into a NULL last_sign_in_at.
-- Fail-safe: signInActivity on /users refused (403) or stripped -> "every enabled
-- member counts as stale (max gap)". reason says which case applies.
with
now_at as (
    select captured_at as now_at
    from stg_manifest
),

refusal as (
    select is_refused from int_source_refusals where source = 'users.signInActivity'
)

select
    u.user_id,
    u.user_principal_name,
    u.display_name,
    u.last_sign_in_raw,
    case
        when refusal.is_refused then 'signInActivity refused or stripped'
        when not u.has_sign_in_activity then 'no signInActivity'
        when u.last_sign_in_at is null then 'never signed in'
        else 'last sign-in before '
            || strftime(n.now_at - interval 90 days, '%Y-%m-%dT%H:%M:%SZ')
    end as reason
from stg_users as u
cross join now_at as n
cross join refusal
where u.is_enabled_member
    and (
        refusal.is_refused
        or u.last_sign_in_at is null
        or u.last_sign_in_at < n.now_at - interval 90 days
    )
