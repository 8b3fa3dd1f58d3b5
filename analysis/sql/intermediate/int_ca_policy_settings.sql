-- int_ca_policy_settings
-- Grain: one row per (policy, section, setting): each key of the policy's conditions,
-- conditions.users, conditions.applications and grantControls objects.
-- Inputs: stg_ca_policy_documents.
-- Output: the setting's JSON value, its JSON type and whether it is empty. docs/
-- docs/ca-resolver.md rule 4: "a condition that is absent, empty ... [is] not narrowing",
-- and any condition the resolver does not know narrows, so unknown keys must be seen,
-- and emptiness judged on the raw JSON: null, "", [], {} or an object whose own
-- values are all null, "", [] or {} (e.g. devices {"deviceFilter": null}). Keys with
-- '@' are OData annotations, not settings.
with
documents as materialized (
    select policy_id, conditions, grant_controls
    from stg_ca_policy_documents
),

sections as (
    select policy_id, 'conditions' as section, conditions as document
    from documents
    union all
    select policy_id, 'users', json_extract(conditions, '/users')
    from documents
    union all
    select policy_id, 'applications', json_extract(conditions, '/applications')
    from documents
    union all
    select policy_id, 'grant', grant_controls
    from documents
),

settings as (
    select
        s.policy_id,
        s.section,
        k.setting,
        json_extract(s.document, '/' || replace(replace(k.setting, '~', '~0'), '/', '~1'))
            as value
    from sections as s
    cross join unnest(json_keys(s.document)) as k (setting)
    where json_type(s.document) = 'OBJECT'
        and not contains(k.setting, '@')
),

typed as (
    select
        policy_id,
        section,
        setting,
        value,
        json_type(value) as value_type
    from settings
),

-- One level down: the keys of object-valued settings, for the emptiness test.
children as (
    select
        t.policy_id,
        t.section,
        t.setting,
        json_extract(t.value, '/' || replace(replace(c.child, '~', '~0'), '/', '~1'))
            as child_value
    from typed as t
    cross join unnest(json_keys(t.value)) as c (child)
    where t.value_type = 'OBJECT'
        and not contains(c.child, '@')
),

non_empty_children as (
    select distinct policy_id, section, setting
    from children
    where not (
        coalesce(json_type(child_value), 'NULL') = 'NULL'
        or (json_type(child_value) = 'ARRAY' and json_array_length(child_value) = 0)
        or (json_type(child_value) = 'VARCHAR' and child_value ->> '$' = '')
        or (json_type(child_value) = 'OBJECT' and len(json_keys(child_value)) = 0)
    )
)

select
    t.policy_id,
    t.section,
    t.setting,
    t.value,
    t.value_type,
    case
        when coalesce(t.value_type, 'NULL') = 'NULL' then true
        when t.value_type = 'ARRAY' then json_array_length(t.value) = 0
        when t.value_type = 'VARCHAR' then t.value ->> '$' = ''
        when t.value_type = 'OBJECT' then n.setting is null
        else false
    end as is_empty
from typed as t
left join non_empty_children as n
    on n.policy_id = t.policy_id
    and n.section = t.section
    and n.setting = t.setting
