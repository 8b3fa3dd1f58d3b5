-- entra_mfa_enrollment_pct
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: stg_users, int_mfa_registration (registered(u) and its fail-safe),
-- int_source_refusals, int_kri_duplicate_warnings.
-- Rule (docs/kri.md): "round(100.0 * count(enabled_members where registered) /
-- count(enabled_members), 1). No enabled members: null, with a warning."
-- registered(u): "the userRegistrationDetails row whose id equals the user's id has
-- isMfaRegistered = true. A user with no row, or a null value, is not registered."
-- Fail-safe: /reports/authenticationMethods/userRegistrationDetails refused ->
-- "every user counts as not registered", degraded.
with
refusal as (
    select is_refused, warnings from int_source_refusals where source = 'user_registration_details'
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_mfa_enrollment_pct'
),

totals as (
    select
        count(*) as enabled_member_count,
        count(*) filter (where m.is_registered) as registered_count
    from stg_users as u
    inner join int_mfa_registration as m
        on m.user_id = u.user_id
    where u.is_enabled_member
)

select
    'entra_mfa_enrollment_pct' as slug,
    case
        when totals.enabled_member_count = 0 then null
        else round(100.0 * totals.registered_count / totals.enabled_member_count, 1)
    end::double as value,
    refusal.is_refused as degraded,
    list_concat(
        refusal.warnings,
        duplicates.warnings,
        case
            when totals.enabled_member_count = 0
                then ['No enabled members (accountEnabled = true, userType not Guest) in '
                    || 'the snapshot: the enrollment percentage is undefined.']
            else []::varchar[]
        end
    ) as warnings
from totals
cross join refusal
cross join duplicates
