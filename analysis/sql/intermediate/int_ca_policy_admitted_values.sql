-- int_ca_policy_admitted_values
-- Grain: one row per (policy, dimension, value) the policy's conditions admit
-- (docs/ca-resolver.md, "A policy applies to a context when"): the policy applies to a
-- context when it admits the context's value in every dimension.
-- Inputs: stg_ca_policy_documents, int_ca_policy_list_items, int_ca_context_values.
-- Rule: an absent or empty condition admits every value of its dimension, except
-- applications, which must be included (an empty includeApplications admits no app);
-- All (all) admits every value not excluded; a list admits its own values; AllTrusted
-- admits the named locations read as trusted only. Exclusions remove their values; an
-- excluded AllTrusted removes every location that is or may be trusted (including
-- 'other location'); an excluded platform the resolver does not know removes 'other
-- platform' (fail-safe). Entries the resolver does not know in an include list admit
-- nothing. Whether the policy applies at all (undecidable clauses, grant, state) is
-- decided elsewhere (int_ca_policy_requirements).
-- Materialized: table (read by several views; computed once)
with
context_values as (
    select dimension, value_key, is_trusted
    from int_ca_context_values
),

items as materialized (
    select policy_id, kind as dimension, side, item_key
    from int_ca_policy_list_items
    where kind in ('application', 'client_app', 'platform', 'location', 'user_risk',
        'sign_in_risk', 'flow')
),

include_lists as (
    select
        policy_id,
        dimension,
        bool_or(item_key = 'all') as has_all,
        bool_or(item_key = 'alltrusted') as has_all_trusted
    from items
    where side = 'include'
    group by policy_id, dimension
),

by_default as (
    select
        d.policy_id,
        v.dimension,
        v.value_key
    from stg_ca_policy_documents as d
    cross join context_values as v
    left join include_lists as l
        on l.policy_id = d.policy_id
        and l.dimension = v.dimension
    where coalesce(l.has_all, v.dimension <> 'application')
),

by_list as (
    select
        i.policy_id,
        v.dimension,
        v.value_key
    from items as i
    inner join context_values as v
        on v.dimension = i.dimension
        and (v.value_key = i.item_key
            or (i.item_key = 'alltrusted' and v.dimension = 'location' and v.is_trusted))
    where i.side = 'include'
),

excluded as (
    select
        i.policy_id,
        v.dimension,
        v.value_key
    from items as i
    inner join context_values as v
        on v.dimension = i.dimension
    where i.side = 'exclude'
        and (i.item_key = 'all'
            or v.value_key = i.item_key
            or (i.item_key = 'alltrusted' and v.dimension = 'location'
                and v.is_trusted is distinct from false)
            or (v.dimension = 'platform' and v.value_key = 'other platform'
                and i.item_key not in (
                    select value_key from context_values where dimension = 'platform')))
),

included as (
    select policy_id, dimension, value_key from by_default
    union
    select policy_id, dimension, value_key from by_list
)

select policy_id, dimension, value_key from included
except
select policy_id, dimension, value_key from excluded
