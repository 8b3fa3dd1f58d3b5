-- entra_stale_accounts_90d
-- Grain: one row per stale enabled member (the KRI value is the row count).
-- Inputs: int_stale_accounts (docs/kri.md's rule, shared with the KRI).
-- Output: who, Graph's raw last sign-in, and which case of the rule applies.
select
    user_id as id,
    user_principal_name,
    display_name,
    last_sign_in_raw as last_sign_in,
    reason
from int_stale_accounts
order by user_principal_name, id
