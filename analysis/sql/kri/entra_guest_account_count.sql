-- entra_guest_account_count
-- Grain: one row (the KRI). Output: slug, value, degraded, warnings.
-- Inputs: stg_users, int_kri_duplicate_warnings.
-- Rule (docs/kri.md): "count of users with userType = 'Guest' (enabled or not)", userType
-- compared case-insensitively. /users is never tolerated as refused, so this KRI
-- has no fail-safe: it is never degraded.
with
guests as (
    select user_id
    from stg_users
    where is_guest
),

duplicates as (
    select warnings from int_kri_duplicate_warnings where slug = 'entra_guest_account_count'
)

select
    'entra_guest_account_count' as slug,
    (select count(*) from guests)::double as value,
    false as degraded,
    duplicates.warnings as warnings
from duplicates
