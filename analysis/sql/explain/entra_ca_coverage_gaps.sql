-- entra_ca_coverage_gaps
-- Grain: one row per enabled member when no policy satisfies the heuristic (or the
-- policies were refused); no rows when one does (the KRI value is the row count).
-- Inputs: stg_users, ca_policy_checks, int_source_refusals.
-- Rule (kri.md): 0 if an enabled policy includes 'All' users, excludes none and
-- grants with 'mfa'; otherwise count(enabled_members). Why no policy qualified is in
-- ca_policy_checks (the explain summary).
with
refusal as (
    select is_refused from int_source_refusals where source = 'conditional_access_policies'
),

satisfied as (
    select count(*) > 0 as is_satisfied
    from ca_policy_checks
    where qualifies
),

uncovered_members as (
    select
        u.user_id,
        u.user_principal_name,
        u.display_name,
        case
            when refusal.is_refused then 'Conditional Access policies refused'
            else 'no enabled policy requires MFA for All users without exclusions'
        end as reason
    from stg_users as u
    cross join refusal
    cross join satisfied
    where u.is_enabled_member
        and (refusal.is_refused or not satisfied.is_satisfied)
)

select
    user_id as id,
    user_principal_name,
    display_name,
    reason
from uncovered_members
order by user_principal_name, id
