-- role_audit_events
-- Grain: one row per RoleManagement directory audit event in the snapshot.
-- Inputs: directory_audits.ndjson.gz (targetResources, initiatedBy), stg_manifest.
-- Output: the event, who initiated it, the ids of its target resources (users,
-- groups, service principals, roles), and in_window: kri.md's
-- now - 24 hours <= activityDateTime <= now.
with
source as (
    select
        id,
        activityDateTime,
        category,
        activityDisplayName,
        operationType,
        result,
        initiatedBy,
        targetResources
    from read_json(
        getvariable('snapshot_dir') || '/directory_audits.ndjson.gz',
        format = 'newline_delimited',
        compression = 'gzip',
        hive_partitioning = false,
        columns = {
            'id': 'varchar',
            'activityDateTime': 'varchar',
            'category': 'varchar',
            'activityDisplayName': 'varchar',
            'operationType': 'varchar',
            'result': 'varchar',
            'initiatedBy': 'struct(
                "user" struct("id" varchar, "userPrincipalName" varchar),
                "app" struct("servicePrincipalId" varchar, "displayName" varchar)
            )',
            'targetResources': 'struct("id" varchar, "type" varchar)[]'
        }
    )
),

role_events as (
    select
        s.id as audit_id,
        try_cast(s.activityDateTime as timestamptz) as activity_at,
        s.activityDisplayName as activity_display_name,
        s.operationType as operation_type,
        s.result,
        coalesce(
            s.initiatedBy.user.userPrincipalName,
            s.initiatedBy.app.displayName,
            s.initiatedBy.user.id,
            s.initiatedBy.app.servicePrincipalId
        ) as initiated_by,
        coalesce(
            [t.id for t in s.targetResources if t.id is not null],
            []::varchar[]
        ) as target_ids
    from source as s
    where s.category = 'RoleManagement'
)

select
    e.audit_id,
    e.activity_at,
    e.activity_display_name,
    e.operation_type,
    e.result,
    e.initiated_by,
    e.target_ids,
    e.activity_at between m.captured_at - interval 24 hours and m.captured_at as in_window
from role_events as e
cross join stg_manifest as m
