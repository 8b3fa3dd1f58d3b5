-- diff_users
-- Grain: one row per user of the snapshot.
-- Inputs: stg_users.
-- Output: what `diff` compares between two snapshots (docs/audit.md, "diff OLD NEW"):
-- whether the account is enabled and whether it is a guest.
select
    user_id as id,
    user_principal_name,
    display_name,
    account_enabled,
    is_guest
from stg_users
