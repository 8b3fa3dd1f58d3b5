-- entra_guest_account_count
-- Grain: one row per guest user, enabled or not (the KRI value is the row count).
-- Inputs: stg_users.
-- Rule (docs/kri.md): users with userType = 'Guest', compared case-insensitively.
select
    user_id as id,
    user_principal_name,
    display_name,
    account_enabled,
    created_at
from stg_users
where is_guest
order by user_principal_name, id
