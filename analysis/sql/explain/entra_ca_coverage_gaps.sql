-- entra_ca_coverage_gaps
-- Grain: one row per enabled member when no policy satisfies the heuristic (or the
-- policies were refused); no rows when one does (the KRI value is the row count).
-- Inputs: int_heuristic_ca_gaps (the rule and its fail-safe).
-- Rule (docs/kri.md): 0 if an enabled policy includes 'All' users, excludes none and
-- grants with 'mfa'; otherwise count(enabled_members). Why no policy qualified is in
-- int_heuristic_ca_checks (the explain summary).
select
    user_id as id,
    user_principal_name,
    display_name,
    reason
from int_heuristic_ca_gaps
order by user_principal_name, id
