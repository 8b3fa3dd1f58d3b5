-- entra_stale_accounts_90d
-- Grain: one row per stale enabled member (the KRI value is the row count).
-- Inputs: stg_manifest (now), stg_users, int_source_refusals.
-- Rule (kri.md): enabled members with no signInActivity, a "never" last sign-in, or
-- one before now - 90 days; with signInActivity refused or stripped, every enabled
-- member. reason says which case applies; last_sign_in is Graph's raw value.
with
now_at as (
    select captured_at as now_at
    from stg_manifest
),

refusal as (
    select is_refused from int_source_refusals where source = 'users.signInActivity'
),

stale_members as (
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
)

select
    user_id as id,
    user_principal_name,
    display_name,
    last_sign_in_raw as last_sign_in,
    reason
from stale_members
order by user_principal_name, id
