-- entra_mfa_enrollment_pct
-- Grain: one row per enabled member (the KRI's denominator).
-- Inputs: stg_users, int_mfa_registration.
-- Rule (docs/kri.md, docs/audit.md): round(100 * count(registered) / count(rows), 1) equals the
-- KRI value. registered(u) is an isMfaRegistered = true row for the user's id; when
-- userRegistrationDetails was refused every user counts as not registered.
select
    u.user_id as id,
    u.user_principal_name,
    u.display_name,
    m.is_registered as registered,
    m.registration
from stg_users as u
inner join int_mfa_registration as m
    on m.user_id = u.user_id
where u.is_enabled_member
order by u.user_principal_name, u.user_id
