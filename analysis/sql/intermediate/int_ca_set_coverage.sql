-- int_ca_set_coverage
-- Grain: one row per set of applicable policies (int_ca_profile_sets.set_key).
-- Inputs: int_ca_set_policies, int_ca_set_uncovered_contexts.
-- Output: uncovered_contexts (0: every user of the set is covered) and
-- covered_if_enforced_ids: the report-only policies that, enforced together with the
-- enabled ones, would cover every uncovered context (those that apply to one of them),
-- empty when they would not close them all (docs/ca-resolver.md, "explain").
-- Materialized: table (read by several views; computed once)
with
sets as (
    select distinct set_key
    from int_ca_set_policies
),

gaps as (
    select
        set_key,
        count(*) as uncovered_contexts,
        bool_and(len(closing_policy_ids) > 0) as closable,
        list_sort(list_distinct(flatten(list(closing_policy_ids)))) as closing_policy_ids
    from int_ca_set_uncovered_contexts
    group by set_key
)

select
    s.set_key,
    coalesce(g.uncovered_contexts, 0) as uncovered_contexts,
    case when g.closable then g.closing_policy_ids else []::varchar[] end
        as covered_if_enforced_ids
from sets as s
left join gaps as g
    on g.set_key = s.set_key
