-- int_source_refusals
-- Grain: one row per source a KRI may depend on, refused or not: the four
-- licence-gated collections and signInActivity on /users.
-- Inputs: int_refusal_warnings.
-- Output: whether the source was refused and its warnings, sorted, so that each
-- KRI and explain file reads one row (docs/kri.md, "When Graph refuses (fail-safe)").
with
sources as (
    select * from (values
        ('sign_ins'),
        ('directory_audits'),
        ('conditional_access_policies'),
        ('user_registration_details'),
        ('users.signInActivity')
    ) as t (source)
)

select
    s.source,
    count(w.warning) > 0 as is_refused,
    coalesce(
        list(w.warning order by w.warning) filter (where w.warning is not null),
        []::varchar[]
    ) as warnings
from sources as s
left join int_refusal_warnings as w on w.source = s.source
group by s.source
