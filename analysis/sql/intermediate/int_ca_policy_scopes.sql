-- int_ca_policy_scopes
-- Grain: one row per Conditional Access policy.
-- Inputs: stg_ca_policy_documents, int_ca_policy_admitted_values, int_ca_context_values,
-- int_ca_dimensions.
-- Output: the sign-in contexts the policy's conditions admit, in words for explain:
-- scope names each dimension the policy narrows with the values it admits ("client
-- app browser or mobileAppsAndDesktopClients; platform iOS"), or 'every sign-in';
-- applies_nowhere when some dimension admits no value (then the policy applies to no
-- context, docs/ca-resolver.md), with those dimensions in empty_dimensions.
with
domains as (
    select dimension, count(*) as value_count
    from int_ca_context_values
    group by dimension
),

admitted as (
    select
        a.policy_id,
        a.dimension,
        count(*) as value_count,
        list(v.value order by v.position) as admitted_values
    from int_ca_policy_admitted_values as a
    inner join int_ca_context_values as v
        on v.dimension = a.dimension
        and v.value_key = a.value_key
    group by a.policy_id, a.dimension
),

per_dimension as (
    select
        d.policy_id,
        l.label,
        l.position,
        coalesce(a.value_count, 0) as admitted_count,
        m.value_count as domain_count,
        a.admitted_values
    from stg_ca_policy_documents as d
    cross join int_ca_dimensions as l
    inner join domains as m
        on m.dimension = l.dimension
    left join admitted as a
        on a.policy_id = d.policy_id
        and a.dimension = l.dimension
)

select
    policy_id,
    bool_or(admitted_count = 0) as applies_nowhere,
    coalesce(
        string_agg(label || ' ' || array_to_string(admitted_values, ' or '), '; '
            order by position) filter (where admitted_count > 0 and admitted_count < domain_count),
        'every sign-in'
    ) as scope,
    string_agg('no ' || label, ', ' order by position) filter (where admitted_count = 0)
        as empty_dimensions
from per_dimension
group by policy_id
