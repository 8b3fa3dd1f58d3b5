-- int_ca_set_uncovered_groups
-- Grain: one row per (set of applicable policies, group of uncovered contexts): the
-- uncovered contexts of a set (int_ca_set_uncovered_contexts) merged into boxes, one
-- value list per dimension, for explain (docs/ca-resolver.md, "explain": "one line per
-- maximal group"). Merging is greedy, one dimension at a time (contexts that differ in
-- that dimension only become one group), so the groups are disjoint and together
-- exactly the uncovered contexts.
-- Inputs: int_ca_set_uncovered_contexts, int_ca_contexts, int_ca_context_classes.
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

by_flow as (
    select
        set_key, application, client_app, platform, location, user_risk, sign_in_risk,
        list_sort(list_distinct(flatten(list(flow)))) as flow
    from uncovered
    group by set_key, application, client_app, platform, location, user_risk, sign_in_risk
),

by_sign_in_risk as (
    select
        set_key, application, client_app, platform, location, user_risk, flow,
        list_sort(list_distinct(flatten(list(sign_in_risk)))) as sign_in_risk
    from by_flow
    group by set_key, application, client_app, platform, location, user_risk, flow
),

by_user_risk as (
    select
        set_key, application, client_app, platform, location, sign_in_risk, flow,
        list_sort(list_distinct(flatten(list(user_risk)))) as user_risk
    from by_sign_in_risk
    group by set_key, application, client_app, platform, location, sign_in_risk, flow
),

by_location as (
    select
        set_key, application, client_app, platform, user_risk, sign_in_risk, flow,
        list_sort(list_distinct(flatten(list(location)))) as location
    from by_user_risk
    group by set_key, application, client_app, platform, user_risk, sign_in_risk, flow
),

by_platform as (
    select
        set_key, application, client_app, location, user_risk, sign_in_risk, flow,
        list_sort(list_distinct(flatten(list(platform)))) as platform
    from by_location
    group by set_key, application, client_app, location, user_risk, sign_in_risk, flow
),

by_client_app as (
    select
        set_key, application, platform, location, user_risk, sign_in_risk, flow,
        list_sort(list_distinct(flatten(list(client_app)))) as client_app
    from by_platform
    group by set_key, application, platform, location, user_risk, sign_in_risk, flow
),

boxes as (
    select
        set_key, client_app, platform, location, user_risk, sign_in_risk, flow,
        list_sort(list_distinct(flatten(list(application)))) as application
    from by_client_app
    group by set_key, client_app, platform, location, user_risk, sign_in_risk, flow
),

dimensions as (
    select
        dimension,
        map_from_entries(list((class_id, class_entries))) as class_values,
        count(*) as class_count
    from int_ca_context_classes
    group by dimension
),

lookup as (
    select
        max(class_values) filter (where dimension = 'application') as application,
        max(class_count) filter (where dimension = 'application') as application_count,
        max(class_values) filter (where dimension = 'client_app') as client_app,
        max(class_count) filter (where dimension = 'client_app') as client_app_count,
        max(class_values) filter (where dimension = 'platform') as platform,
        max(class_count) filter (where dimension = 'platform') as platform_count,
        max(class_values) filter (where dimension = 'location') as location,
        max(class_count) filter (where dimension = 'location') as location_count,
        max(class_values) filter (where dimension = 'user_risk') as user_risk,
        max(class_count) filter (where dimension = 'user_risk') as user_risk_count,
        max(class_values) filter (where dimension = 'sign_in_risk') as sign_in_risk,
        max(class_count) filter (where dimension = 'sign_in_risk') as sign_in_risk_count,
        max(class_values) filter (where dimension = 'flow') as flow,
        max(class_count) filter (where dimension = 'flow') as flow_count
    from dimensions
),

worded as (
    select
        b.set_key,
        case
            when len(b.application) = k.application_count then 'any app'
            else 'app ' || array_to_string(list_transform(list_sort(flatten(
                list_transform(b.application, lambda c: k.application[c]))), lambda e: e.value), ' or ')
        end as application,
        case
            when len(b.client_app) = k.client_app_count then 'any client app'
            else 'client app ' || array_to_string(list_transform(list_sort(flatten(
                list_transform(b.client_app, lambda c: k.client_app[c]))), lambda e: e.value), ' or ')
        end as client_app,
        case
            when len(b.platform) = k.platform_count then 'any platform'
            else 'platform ' || array_to_string(list_transform(list_sort(flatten(
                list_transform(b.platform, lambda c: k.platform[c]))), lambda e: e.value), ' or ')
        end as platform,
        case
            when len(b.location) = k.location_count then 'any location'
            else 'location ' || array_to_string(list_transform(list_sort(flatten(
                list_transform(b.location, lambda c: k.location[c]))), lambda e: e.value), ' or ')
        end as location,
        len(b.user_risk) = k.user_risk_count and len(b.sign_in_risk) = k.sign_in_risk_count
            as any_risk,
        case
            when len(b.user_risk) = k.user_risk_count then 'any user risk'
            else 'user risk ' || array_to_string(list_transform(list_sort(flatten(
                list_transform(b.user_risk, lambda c: k.user_risk[c]))), lambda e: e.value), ' or ')
        end as user_risk,
        case
            when len(b.sign_in_risk) = k.sign_in_risk_count then 'any sign-in risk'
            else 'sign-in risk ' || array_to_string(list_transform(list_sort(flatten(
                list_transform(b.sign_in_risk, lambda c: k.sign_in_risk[c]))), lambda e: e.value), ' or ')
        end as sign_in_risk,
        case
            when len(b.flow) = k.flow_count then 'any flow'
            else 'flow ' || array_to_string(list_transform(list_sort(flatten(
                list_transform(b.flow, lambda c: k.flow[c]))), lambda e: e.value), ' or ')
        end as flow
    from boxes as b
    cross join lookup as k
)

select
    set_key,
    concat_ws('; ',
        case when application <> 'any app' then application end,
        client_app, platform, location,
        case when any_risk then 'any risk' else user_risk || '; ' || sign_in_risk end,
        case when flow <> 'any flow' then flow end) as uncovered
from worded
