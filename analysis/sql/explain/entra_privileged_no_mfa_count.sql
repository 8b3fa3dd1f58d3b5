-- entra_privileged_no_mfa_count
-- Grain: one row per privileged user that is not MFA-registered (the KRI value is the
-- row count). Service principals are not rows (int_privileged_service_principals).
-- Inputs: int_privileged_users, int_mfa_registration, stg_users.
-- Rule (docs/kri.md): privileged users (direct or through a role-assignable group,
-- deduplicated) that are not registered, enabled or not, member or guest. Each row
-- lists the roles it holds and how: 'direct' or 'via group <name>'.
with
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
        m.registration
    from role_paths as p
    inner join int_mfa_registration as m
        on m.user_id = p.user_id
    left join stg_users as u
        on u.user_id = p.user_id
    where not m.is_registered
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
