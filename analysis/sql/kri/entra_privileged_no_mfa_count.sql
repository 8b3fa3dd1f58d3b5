-- entra_privileged_no_mfa_count
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: int_privileged_users, int_mfa_registration, int_source_refusals, int_kri_duplicate_warnings.
-- Rule (docs/kri.md): "count of privileged users that are not registered (enabled or
-- not, member or guest). Graph gives disabled users no registration row, so a
-- disabled privileged account counts". Privileged users are deduplicated across
-- roles and paths; service principals are not users and are not counted.
-- Fail-safe: /reports/authenticationMethods/userRegistrationDetails refused ->
-- "every user counts as not registered", degraded.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'user_registration_details'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_privileged_no_mfa_count'
),

unregistered_privileged_users as (
    select distinct p.user_id
    from int_privileged_users as p
    inner join int_mfa_registration as m
        on m.user_id = p.user_id
    where not m.is_registered
)

select
    'entra_privileged_no_mfa_count' as slug,
    (select count(*) from unregistered_privileged_users)::double as value,
    refusal.is_refused as degraded,
    list_concat(refusal.warnings, duplicates.warnings) as warnings
from refusal
cross join duplicates
