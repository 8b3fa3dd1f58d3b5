-- int_ca_profile_explanations
-- Grain: one row per profile (int_ca_user_profiles) whose members explain lists: left
-- uncovered in some sign-in context, or every profile when the policies were refused.
-- Inputs: int_source_refusals, int_ca_profile_sets, int_ca_set_coverage,
-- int_ca_set_uncovered_groups, int_ca_set_uncovered_contexts, int_ca_contexts,
-- int_ca_context_classes, int_ca_profile_policy_evaluations, int_ca_coverage_policies,
-- int_ca_policy_list_items.
-- Rule (docs/ca-resolver.md, "explain"): the uncovered contexts, one line per group;
-- for each candidate policy (it includes the user, or the snapshot cannot tell) why it
-- does not cover them: the first rule that failed, as "'<policy>': <reason>", with the
-- policy's state when it is not enabled and the reason does not already say so; the
-- report-only policies whose enforcement would cover the user (covered_if_enforced);
-- and a note when 'other location' is open beside a policy that excludes AllTrusted
-- (MFA trusted IPs are not readable through Graph). Members of one profile get the same
-- answer, so it is built once per profile, however many members share it.
-- Output: profile_key and explain's columns after the user: reason, uncovered,
-- policies, covered_if_enforced, depends_on_unread.
-- Materialized: table (explain reads it twice: which members to list, and their columns)
with
refusal as (
    select is_refused
    from int_source_refusals
    where source = 'conditional_access_policies'
),

explained as (
    select
        p.profile_key,
        p.set_key
    from int_ca_profile_sets as p
    inner join int_ca_set_coverage as s
        on s.set_key = p.set_key
    cross join refusal
    where refusal.is_refused
        or s.uncovered_contexts > 0
),

groups as (
    select
        set_key,
        list(uncovered order by uncovered) as uncovered
    from int_ca_set_uncovered_groups
    group by set_key
),

-- the sets left uncovered in a context whose location is 'other location' (by its key:
-- a named location's display name may hold the same words)
other_location_open as (
    select distinct u.set_key
    from int_ca_set_uncovered_contexts as u
    inner join int_ca_contexts as x
        on x.context_id = u.context_id
    inner join int_ca_context_classes as k
        on k.dimension = 'location'
        and k.class_id = x.location
    where list_contains(k.class_value_keys, 'other location')
),

excludes_all_trusted as (
    select distinct policy_id
    from int_ca_policy_list_items
    where kind = 'location'
        and side = 'exclude'
        and item_key = 'alltrusted'
),

candidates as (
    select
        e.profile_key,
        list(
            '''' || e.policy_display_name || ''': ' || e.reason
            || case
                when e.state = 'enabled' or e.failed_rule is null then ''
                when e.state = 'enabledForReportingButNotEnforced' then ' (policy report-only)'
                else ' (policy ' || coalesce(e.state, 'without state') || ')'
            end
            order by e.policy_display_name, e.policy_id
        ) as policies,
        bool_or(e.depends_on_unread) as depends_on_unread,
        bool_or(e.applies and x.policy_id is not null) as excludes_trusted
    from int_ca_profile_policy_evaluations as e
    semi join explained as m
        on m.profile_key = e.profile_key
    left join excludes_all_trusted as x
        on x.policy_id = e.policy_id
    where e.is_candidate
    group by e.profile_key
),

if_enforced as (
    select
        s.set_key,
        list(c.display_name order by c.display_name, c.policy_id) as covered_if_enforced
    from int_ca_set_coverage as s
    cross join unnest(s.covered_if_enforced_ids) as t (policy_id)
    inner join int_ca_coverage_policies as c
        on c.policy_id = t.policy_id
    group by s.set_key
)

select
    m.profile_key,
    case
        when refusal.is_refused then 'Conditional Access policies refused (fail-safe)'
        when c.profile_key is null then 'no policy includes this user'
        else 'no enabled policy requires MFA or blocks in every sign-in context'
    end
    || case
        when not refusal.is_refused and o.set_key is not null and c.excludes_trusted
            then '; other location counts as possibly trusted: MFA trusted IPs (legacy '
            || 'MFA settings) are not readable through Graph'
        else ''
    end as reason,
    case when refusal.is_refused then []::varchar[] else coalesce(g.uncovered, []) end
        as uncovered,
    coalesce(c.policies, []::varchar[]) as policies,
    case
        when refusal.is_refused then []::varchar[]
        else coalesce(f.covered_if_enforced, []::varchar[])
    end as covered_if_enforced,
    coalesce(c.depends_on_unread, false) as depends_on_unread
from explained as m
cross join refusal
left join groups as g
    on g.set_key = m.set_key
left join candidates as c
    on c.profile_key = m.profile_key
left join if_enforced as f
    on f.set_key = m.set_key
left join other_location_open as o
    on o.set_key = m.set_key
