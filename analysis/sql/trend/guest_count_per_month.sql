-- guest_count_per_month
-- Guest accounts per calendar month (UTC).
-- The count in the month's last snapshot, and the lowest and highest seen that month.
-- Grain: one row per month (UTC) with at least one snapshot.
-- Inputs: users (all snapshots of the tenant).
-- Rule: docs/kri.md's entra_guest_account_count: userType = 'Guest' (any case), enabled
-- or not.
with
guests_per_snapshot as (
    select
        s.snapshot_id,
        s.captured_at,
        count(u.id) filter (where lower(u.userType) = 'guest') as guest_count
    from snapshots as s
    left join users as u
        on u.snapshot_id = s.snapshot_id
    group by s.snapshot_id, s.captured_at
),

per_month as (
    select
        strftime(captured_at, '%Y-%m') as month,
        arg_max(guest_count, captured_at) as guest_count_at_month_end,
        min(guest_count) as min_guest_count,
        max(guest_count) as max_guest_count,
        count(*) as snapshots
    from guests_per_snapshot
    group by month
)

select
    month,
    guest_count_at_month_end,
    min_guest_count,
    max_guest_count,
    snapshots
from per_month
order by month
