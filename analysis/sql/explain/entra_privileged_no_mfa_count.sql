-- entra_privileged_no_mfa_count
-- Grain: one row per privileged user that is not MFA-registered (the KRI value is the
-- row count). Service principals are not rows (int_privileged_service_principals).
-- Inputs: int_privileged_users, stg_users, stg_registration, int_source_refusals.
-- Rule (kri.md): privileged users (direct or through a role-assignable group,
-- deduplicated) that are not registered, enabled or not, member or guest. Each row
-- lists the roles it holds and how: 'direct' or 'via group <name>'.
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

role_paths as (
    select
        user_id,
        any_value(user_principal_name) as user_principal_name,
        any_value(display_name) as display_name,
        list_sort(list(distinct coalesce(role_display_name, role_id) || ' ('
            || case when path = 'direct' then 'direct'
                else 'via group ' || coalesce(via_group_display_name, via_group_id) end
            || ')')) as roles
    from int_privileged_users
    group by user_id
),

unregistered as (
    select
        p.user_id,
        coalesce(u.user_principal_name, p.user_principal_name) as user_principal_name,
        coalesce(u.display_name, p.display_name) as display_name,
        u.account_enabled,
        p.roles,
        case
            when refusal.is_refused then 'userRegistrationDetails refused'
            when r.user_id is null then 'no registration row'
            when not r.has_value then 'isMfaRegistered is null'
            else 'isMfaRegistered = false'
        end as registration
    from role_paths as p
    cross join refusal
    left join registration as r
        on r.user_id = p.user_id
    left join stg_users as u
        on u.user_id = p.user_id
    where refusal.is_refused or not coalesce(r.is_mfa_registered, false)
)

select
    user_id as id,
    user_principal_name,
    display_name,
    account_enabled,
    roles,
    registration
from unregistered
order by user_principal_name, id
