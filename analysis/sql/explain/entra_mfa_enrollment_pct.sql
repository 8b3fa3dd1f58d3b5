-- entra_mfa_enrollment_pct
-- Grain: one row per enabled member (the KRI's denominator).
-- Inputs: stg_users, stg_registration, int_source_refusals.
-- Rule (kri.md, audit.md): round(100 * count(registered) / count(rows), 1) equals the
-- KRI value. registered(u) is an isMfaRegistered = true row for the user's id; when
-- userRegistrationDetails was refused every user counts as not registered.
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

enabled_members as (
    select
        u.user_id,
        u.user_principal_name,
        u.display_name,
        coalesce(r.is_mfa_registered, false) and not refusal.is_refused as registered,
        case
            when refusal.is_refused then 'userRegistrationDetails refused'
            when r.user_id is null then 'no registration row'
            when not r.has_value then 'isMfaRegistered is null'
            else 'isMfaRegistered = ' || r.is_mfa_registered::varchar
        end as registration
    from stg_users as u
    cross join refusal
    left join registration as r
        on r.user_id = u.user_id
    where u.is_enabled_member
)

select
    user_id as id,
    user_principal_name,
    display_name,
    registered,
    registration
from enabled_members
order by user_principal_name, id
