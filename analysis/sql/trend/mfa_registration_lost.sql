-- mfa_registration_lost
-- When did a user stop being MFA-registered? (--var user=UPN or id; default: all users)
-- Each snapshot where a user's isMfaRegistered went from true to not registered, with
-- the last snapshot that still had it.
-- Grain: one row per (user, loss).
-- Inputs: user_registration_details (all snapshots of the tenant).
-- Rule: docs/kri.md's registered(u): a row with isMfaRegistered = true; a missing row
-- (e.g. a disabled user) is not a loss here, only a row turning false or null.
with
registration as (
    select
        snapshot_id,
        captured_at,
        id as user_id,
        userPrincipalName as user_principal_name,
        coalesce(isMfaRegistered, false) as is_registered
    from user_registration_details
    where coalesce(getvariable('user'), '') = ''
        or getvariable('user') in (id, userPrincipalName)
),

with_previous as (
    select
        snapshot_id,
        captured_at,
        user_id,
        user_principal_name,
        is_registered,
        lag(is_registered) over (partition by user_id order by captured_at) as was_registered,
        lag(snapshot_id) over (partition by user_id order by captured_at) as previous_snapshot_id
    from registration
)

select
    user_id,
    user_principal_name,
    previous_snapshot_id as last_registered_in,
    snapshot_id as first_unregistered_in,
    captured_at as first_unregistered_at
from with_previous
where was_registered and not is_registered
order by captured_at, user_principal_name
