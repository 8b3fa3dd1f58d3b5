-- int_mfa_registration
-- Grain: one row per user id of the snapshot (every user, and every privileged user
-- even if /users lacks it).
-- Inputs: stg_users, int_privileged_users, stg_registration, int_source_refusals.
-- Rule (docs/kri.md): registered(u) is "the userRegistrationDetails row whose id equals
-- the user's id has isMfaRegistered = true. A user with no row, or a null value, is
-- not registered." Fail-safe: userRegistrationDetails refused -> every user counts
-- as not registered. registration says which case applies. Both MFA KRIs and their
-- explain rows read this one view.
with
refusal as (
    select is_refused from int_source_refusals where source = 'user_registration_details'
),

registration as (
    select
        user_id,
        bool_or(is_mfa_registered) as is_mfa_registered,
        bool_or(is_mfa_registered_raw is not null) as has_value
    from stg_registration
    group by user_id
),

user_ids as (
    select user_id from stg_users
    union all
    select distinct p.user_id
    from int_privileged_users as p
    anti join stg_users as u
        on u.user_id = p.user_id
)

select
    i.user_id,
    coalesce(r.is_mfa_registered, false) and not refusal.is_refused as is_registered,
    case
        when refusal.is_refused then 'userRegistrationDetails refused'
        when r.user_id is null then 'no registration row'
        when not r.has_value then 'isMfaRegistered is null'
        else 'isMfaRegistered = ' || r.is_mfa_registered::varchar
    end as registration
from user_ids as i
cross join refusal
left join registration as r
    on r.user_id = i.user_id
