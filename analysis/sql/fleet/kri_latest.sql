-- kri_latest
-- Where does each tenant stand today? Every KRI of each tenant's newest snapshot.
-- Grain: one row per (tenant, KRI).
-- Inputs: kri_values.
-- Rule (docs/lake.md, "Fleet questions"): a tenant's newest snapshot is the one with the
-- latest captured_at among its snapshots in the lake; its value, degraded flag, the
-- SHA-256 of the SQL that computed it and the manifest it came from.
with
ranked as (
    select
        tenant_id,
        snapshot_id,
        slug,
        value,
        degraded,
        sql_sha256,
        manifest_sha256,
        row_number() over (partition by tenant_id, slug order by captured_at desc) as from_last
    from kri_values
)

select
    tenant_id,
    slug,
    snapshot_id,
    value,
    degraded,
    sql_sha256,
    manifest_sha256
from ranked
where from_last = 1
order by tenant_id, slug
