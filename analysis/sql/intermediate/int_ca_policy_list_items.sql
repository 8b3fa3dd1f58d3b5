-- int_ca_policy_list_items
-- Grain: one row per (policy, list, entry): every entry of the include and exclude lists
-- of a Conditional Access policy's conditions, turned into rows once for the resolver.
-- Inputs: stg_ca_policy_documents.
-- Output: kind (users, groups, roles, application, platform, location, client_app,
-- user_risk, sign_in_risk, flow), side (include | exclude), the entry as Graph spelled
-- it and item_key, trimmed and lower-cased: ids are GUIDs and keywords (All, None,
-- AllTrusted, Office365, ...) are compared case-insensitively (docs/ca-resolver.md).
-- authenticationFlows.transferMethods is one comma-joined string, split here.
-- Blank entries name nothing and are left out.
with
lists as (
    select * from (values
        ('users', 'include', '$.users.includeUsers'),
        ('users', 'exclude', '$.users.excludeUsers'),
        ('groups', 'include', '$.users.includeGroups'),
        ('groups', 'exclude', '$.users.excludeGroups'),
        ('roles', 'include', '$.users.includeRoles'),
        ('roles', 'exclude', '$.users.excludeRoles'),
        ('application', 'include', '$.applications.includeApplications'),
        ('application', 'exclude', '$.applications.excludeApplications'),
        ('platform', 'include', '$.platforms.includePlatforms'),
        ('platform', 'exclude', '$.platforms.excludePlatforms'),
        ('location', 'include', '$.locations.includeLocations'),
        ('location', 'exclude', '$.locations.excludeLocations'),
        ('client_app', 'include', '$.clientAppTypes'),
        ('user_risk', 'include', '$.userRiskLevels'),
        ('sign_in_risk', 'include', '$.signInRiskLevels')
    ) as t (kind, side, path)
),

arrays as (
    select
        d.policy_id,
        l.kind,
        l.side,
        json_extract(d.conditions, l.path) as entries
    from stg_ca_policy_documents as d
    cross join lists as l
),

array_items as (
    select
        policy_id,
        kind,
        side,
        unnest(json_extract_string(entries, '$[*]')) as item
    from arrays
    where json_type(entries) = 'ARRAY'
),

flow_items as (
    select
        policy_id,
        'flow' as kind,
        'include' as side,
        unnest(string_split(conditions ->> '$.authenticationFlows.transferMethods', ','))
            as item
    from stg_ca_policy_documents
    where json_type(conditions, '$.authenticationFlows.transferMethods') = 'VARCHAR'
),

items as (
    select policy_id, kind, side, item from array_items
    union all
    select policy_id, kind, side, item from flow_items
)

select
    policy_id,
    kind,
    side,
    trim(item) as item,
    lower(trim(item)) as item_key
from items
where trim(coalesce(item, '')) <> ''
