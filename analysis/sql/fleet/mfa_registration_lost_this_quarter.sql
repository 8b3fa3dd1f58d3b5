-- mfa_registration_lost_this_quarter
-- Which tenants lost more than 5 points of MFA registration this quarter?
-- Grain: one row per tenant whose MFA registration percentage fell by more than 5
-- points from its first snapshot of the quarter to its latest one.
-- Inputs: kri_values (entra_mfa_enrollment_pct).
-- Rule (docs/lake.md, "Fleet questions"): "this quarter" is the calendar quarter (UTC)
-- of the newest snapshot in the lake, never the wall clock, so the answer can be
-- reproduced. Degraded values are left out: a refused registration report makes every
-- user count as not registered, a fail-safe rather than a measurement.
with
mfa as (
    select
        tenant_id,
        snapshot_id,
        captured_at,
        value
    from kri_values
    where slug = 'entra_mfa_enrollment_pct'
        and value is not null
        and not degraded
),

newest as (
    select max(captured_at) as newest_at from mfa
),

this_quarter as (
    select
        mfa.tenant_id,
        mfa.snapshot_id,
        mfa.captured_at,
        mfa.value
    from mfa
    cross join newest
    where year(mfa.captured_at) = year(newest.newest_at)
        and quarter(mfa.captured_at) = quarter(newest.newest_at)
),

ranked as (
    select
        tenant_id,
        snapshot_id,
        value,
        row_number() over (partition by tenant_id order by captured_at) as from_first,
        row_number() over (partition by tenant_id order by captured_at desc) as from_last
    from this_quarter
),

first_of_quarter as (
    select tenant_id, snapshot_id, value from ranked where from_first = 1
),

latest as (
    select tenant_id, snapshot_id, value from ranked where from_last = 1
)

select
    first_of_quarter.tenant_id,
    first_of_quarter.snapshot_id as first_snapshot_id,
    first_of_quarter.value as first_pct,
    latest.snapshot_id as latest_snapshot_id,
    latest.value as latest_pct,
    first_of_quarter.value - latest.value as points_lost
from first_of_quarter
inner join latest
    on latest.tenant_id = first_of_quarter.tenant_id
where first_of_quarter.value - latest.value > 5
order by points_lost desc, first_of_quarter.tenant_id
