-- entra_privileged_no_mfa_count
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: int_privileged_users, stg_registration, int_source_refusals.
-- Rule (kri.md): "count of privileged users that are not registered (enabled or
-- not, member or guest). Graph gives disabled users no registration row, so a
-- disabled privileged account counts". Privileged users are deduplicated across
-- roles and paths; service principals are not users and are not counted.
-- Fail-safe: /reports/authenticationMethods/userRegistrationDetails refused ->
-- "every user counts as not registered", degraded.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'user_registration_details'
),

privileged_users as (
    select distinct user_id
    from int_privileged_users
),

registered_users as (
    select distinct user_id
    from stg_registration
    where is_mfa_registered
),

unregistered_privileged_users as (
    select p.user_id
    from privileged_users as p
    cross join refusal
    where refusal.is_refused
        or not exists (select 1 from registered_users as r where r.user_id = p.user_id)
)

select
    'entra_privileged_no_mfa_count' as slug,
    (select count(*) from unregistered_privileged_users)::double as value,
    refusal.is_refused as degraded,
    refusal.warnings as warnings
from refusal
