-- int_ca_context_classes
-- Grain: one row per (dimension, class): the values of a dimension that exactly the same
-- coverage policies admit. Values of one class are interchangeable for every coverage
-- question, so contexts are built from classes, not values (docs/ca-resolver.md,
-- "Performance"): the answer is the same as over every value.
-- Inputs: int_ca_context_values, int_ca_policy_admitted_values, int_ca_coverage_policies.
-- Output: class_id (1.. in display order), the admitting policies (signature), the
-- values (class_values; class_value_keys, as compared; class_entries with their
-- display positions) and their count, and value_count_in_dimension.
-- Materialized: table (read by several views; computed once)
with
admitted as (
    select a.policy_id, a.dimension, a.value_key
    from int_ca_policy_admitted_values as a
    inner join int_ca_coverage_policies as c
        on c.policy_id = a.policy_id
),

signatures as (
    select
        v.dimension,
        v.value,
        v.value_key,
        v.position,
        coalesce(
            list(a.policy_id order by a.policy_id) filter (where a.policy_id is not null),
            []::varchar[]
        ) as signature
    from int_ca_context_values as v
    left join admitted as a
        on a.dimension = v.dimension
        and a.value_key = v.value_key
    group by v.dimension, v.value, v.value_key, v.position
),

classes as (
    select
        dimension,
        signature,
        min(position) as first_position,
        list(value order by position) as class_values,
        list(value_key order by position) as class_value_keys,
        list({'position': position, 'value': value} order by position) as class_entries
    from signatures
    group by dimension, signature
)

select
    dimension,
    row_number() over (partition by dimension order by first_position) as class_id,
    signature,
    class_values,
    class_value_keys,
    class_entries,
    len(class_values) as value_count,
    sum(len(class_values)) over (partition by dimension) as value_count_in_dimension
from classes
