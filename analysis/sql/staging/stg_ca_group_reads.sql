-- stg_ca_group_reads
-- Grain: one row per group the capture asked Graph for because a Conditional Access
-- policy names it (manifest.json, the ca_group_members entry's "groups" list).
-- Inputs: stg_collections (manifest.json).
-- Output: the group's id and name, and how Graph answered: outcome ok | forbidden |
-- not_found, HTTP status, Graph's error code and message. A group with no row was
-- never read (a snapshot from before this collection existed): the resolver treats it
-- like a refused one (docs/ca-resolver.md, "could not be read").
with
group_reads as (
    select unnest(group_reads) as group_read
    from stg_collections
    where collection_name = 'ca_group_members'
)

select
    group_read.id as group_id,
    group_read.display_name as group_display_name,
    lower(group_read.outcome) as outcome,
    lower(group_read.outcome) = 'ok' as is_read,
    group_read.http_status as http_status,
    group_read.error.code as error_code,
    group_read.error.message as error_message,
    group_read.items as item_count
from group_reads
