-- int_ca_set_uncovered_groups
-- Grain: one row per (set of applicable policies, group of uncovered contexts): the
-- uncovered contexts of a set (int_ca_set_uncovered_contexts) merged into boxes, one
-- value list per dimension, for explain (docs/ca-resolver.md, "explain": "one line per
-- maximal group"). Merging is greedy, one dimension at a time (contexts that differ in
-- that dimension only become one group), so the groups are disjoint and together
-- exactly the uncovered contexts.
-- Inputs: int_ca_set_uncovered_contexts, int_ca_contexts, int_ca_context_classes,
-- int_ca_dimensions.
-- Output: set_key and the group as one line: each dimension as "any <dimension>" or
-- "<dimension> <value> or <value>", user and sign-in risk together as "any risk" when
-- both are any; application and authentication flow are named only when not any, as
-- most policies do not narrow them (the line stays within 120 columns).
with
uncovered as (
    select
        u.set_key,
        [x.application] as application,
        [x.client_app] as client_app,
        [x.platform] as platform,
        [x.location] as location,
        [x.user_risk] as user_risk,
        [x.sign_in_risk] as sign_in_risk,
        [x.flow] as flow
    from int_ca_set_uncovered_contexts as u
    inner join int_ca_contexts as x
        on x.context_id = u.context_id
),

-- One merge per dimension, flow first and application last (the order decides the
-- groups): the rows that differ in that dimension only become one, its classes joined.
by_flow as (
    select * exclude (flow), list_sort(list_distinct(flatten(list(flow)))) as flow
    from uncovered
    group by all
),

by_sign_in_risk as (
    select * exclude (sign_in_risk),
        list_sort(list_distinct(flatten(list(sign_in_risk)))) as sign_in_risk
    from by_flow
    group by all
),

by_user_risk as (
    select * exclude (user_risk), list_sort(list_distinct(flatten(list(user_risk)))) as user_risk
    from by_sign_in_risk
    group by all
),

by_location as (
    select * exclude (location), list_sort(list_distinct(flatten(list(location)))) as location
    from by_user_risk
    group by all
),

by_platform as (
    select * exclude (platform), list_sort(list_distinct(flatten(list(platform)))) as platform
    from by_location
    group by all
),

by_client_app as (
    select * exclude (client_app),
        list_sort(list_distinct(flatten(list(client_app)))) as client_app
    from by_platform
    group by all
),

boxes as (
    select row_number() over () as box_id, *
    from (
        select * exclude (application),
            list_sort(list_distinct(flatten(list(application)))) as application
        from by_client_app
        group by all
    )
),

box_dimensions as (
    unpivot boxes
    on application, client_app, platform, location, user_risk, sign_in_risk, flow
    into name dimension value class_ids
),

dimensions as (
    select
        dimension,
        map_from_entries(list((class_id, class_entries))) as class_values,
        count(*) as class_count
    from int_ca_context_classes
    group by dimension
),

judged as (
    select
        b.box_id,
        b.set_key,
        b.dimension,
        l.label,
        l.position,
        len(b.class_ids) = d.class_count as is_any,
        bool_and(len(b.class_ids) = d.class_count)
            filter (where b.dimension in ('user_risk', 'sign_in_risk'))
            over (partition by b.box_id) as any_risk,
        array_to_string(list_transform(list_sort(flatten(
            list_transform(b.class_ids, lambda c: d.class_values[c]))), lambda e: e.value), ' or ')
            as class_text
    from box_dimensions as b
    inner join dimensions as d
        on d.dimension = b.dimension
    inner join int_ca_dimensions as l
        on l.dimension = b.dimension
),

worded as (
    select
        box_id,
        set_key,
        position,
        case
            when any_risk and dimension = 'user_risk' then 'any risk'
            when any_risk and dimension = 'sign_in_risk' then null
            when is_any and dimension in ('application', 'flow') then null
            when is_any then 'any ' || label
            else label || ' ' || class_text
        end as words
    from judged
)

select set_key, string_agg(words, '; ' order by position) as uncovered
from worded
group by box_id, set_key
