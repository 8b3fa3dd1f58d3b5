-- diff_registration
-- Grain: one row per user with a userRegistrationDetails row.
-- Inputs: stg_registration.
-- Output: whether the user is MFA-registered, for `diff` (docs/audit.md, "diff OLD
-- NEW"; Graph gives disabled users no row, so only users with a row in both
-- snapshots are compared).
select
    user_id,
    bool_or(is_mfa_registered) as registered
from stg_registration
group by user_id
