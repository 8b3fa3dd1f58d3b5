-- int_ca_policy_groups
-- Grain: one row per (policy, side, group) for each group a policy names in
-- includeGroups (side include) or excludeGroups (side exclude).
-- Inputs: stg_ca_policy_documents, int_ca_policy_list_items, stg_ca_group_reads,
-- stg_collections.
-- Output: the policy's name and state; the group's id lower-cased (as every id the
-- resolver compares) and its name (from its read, else its id as the policy spells
-- it: an id 'All' is a group id, not the keyword all), whether its transitive
-- members were read, and if not why: docs/ca-resolver.md, "If something a policy
-- references could not be read (... a group), that policy does not cover anyone it
-- depends on for". A group never asked for is unread too (a snapshot from before the
-- ca_group_members collection existed).
with
policies as (
    select policy_id, display_name, state
    from stg_ca_policy_documents
),

referenced as (
    select
        policy_id,
        side,
        item_key as group_id,
        min(item) as group_ref
    from int_ca_policy_list_items
    where kind = 'groups'
    group by policy_id, side, item_key
),

reads as (
    select
        lower(group_id) as group_id,
        max(group_display_name) as group_display_name,
        bool_or(is_read) as is_read,
        arg_max(http_status, is_read) as http_status,
        arg_max(error_code, is_read) as error_code
    from stg_ca_group_reads
    group by lower(group_id)
),

collection as (
    select coalesce(max(outcome), 'absent') as outcome
    from stg_collections
    where collection_name = 'ca_group_members'
)

select
    r.policy_id,
    p.display_name as policy_display_name,
    p.state,
    r.side,
    r.group_id,
    r.group_ref,
    coalesce(g.group_display_name, r.group_ref) as group_name,
    coalesce(g.is_read, false) as is_read,
    case
        when g.is_read then null
        when g.group_id is not null
            then 'its members could not be read (HTTP ' || coalesce(g.http_status::varchar, '?')
            || ', ' || coalesce(g.error_code, 'no error code') || ')'
        when c.outcome = 'absent'
            then 'its members were not captured (the snapshot predates ca_group_members)'
        else 'its members were not captured'
    end as unread_reason
from referenced as r
inner join policies as p
    on p.policy_id = r.policy_id
cross join collection as c
left join reads as g
    on g.group_id = r.group_id
