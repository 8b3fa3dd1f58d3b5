-- enabled_members_per_month
-- How many enabled member accounts did each tenant have at the end of each month?
-- Grain: one row per (tenant, month) with a snapshot.
-- Inputs: stg_users (the staged users of every exported snapshot), kri_values.
-- Rule (docs/lake.md, "Fleet questions"): the month's last snapshot counts; enabled
-- members are docs/kri.md's enabled_members (accountEnabled = true, userType not Guest),
-- as staged in is_enabled_member. Only snapshots in kri_values count: it is the
-- record of what the lake holds.
with
exported as (
    select distinct
        tenant_id,
        month,
        snapshot_id,
        captured_at
    from kri_values
),

last_of_month as (
    select
        tenant_id,
        month,
        snapshot_id
    from (
        select
            tenant_id,
            month,
            snapshot_id,
            row_number() over (partition by tenant_id, month order by captured_at desc)
                as from_last
        from exported
    ) as ranked
    where from_last = 1
),

members as (
    select
        tenant_id,
        snapshot_id,
        sum(case when is_enabled_member then 1 else 0 end) as enabled_members,
        count(*) as accounts
    from stg_users
    group by tenant_id, snapshot_id
)

select
    last_of_month.tenant_id,
    last_of_month.month,
    last_of_month.snapshot_id,
    coalesce(members.enabled_members, 0) as enabled_members,
    coalesce(members.accounts, 0) as accounts
from last_of_month
left join members
    on members.tenant_id = last_of_month.tenant_id
    and members.snapshot_id = last_of_month.snapshot_id
order by last_of_month.tenant_id, last_of_month.month
