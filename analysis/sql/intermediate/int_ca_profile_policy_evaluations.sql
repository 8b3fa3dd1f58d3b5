-- int_ca_profile_policy_evaluations
-- Grain: one row per (profile left uncovered, Conditional Access policy): a profile
-- (int_ca_user_profiles) stands for every enabled member with the same traits, who
-- fall under every policy in the same ways and so get the same reasons.
-- Inputs: int_ca_profile_sets, int_ca_set_coverage, int_ca_policy_users,
-- int_ca_policy_groups, int_ca_profile_policy_matches, int_ca_policy_requirements.
-- Rule (docs/ca-resolver.md, "The rule"), in this order, the
-- first that fails being the reason:
--   1 included: includeUsers All, or a certain match on the include side; an
--     uncertain match or an unread include group does not include (reason says so);
--   2 not excluded: excludeUsers All, any exclude match (certain or not: "an unclear
--     exclusion excludes"), an unread exclude group, or a users setting the resolver
--     does not know that is not an include* one;
--   3, 4, 5/6: the policy-level reasons (int_ca_policy_requirements: no id, applies
--     to no sign-in context, grant).
-- A policy for which all of these hold applies to the user in the contexts of its
-- scope; it covers them there only if its state is 'enabled' (reason 'report-only',
-- 'disabled'), and an enabled one that is not everywhere says where it applies.
-- Output: failed_rule (null when all hold), reason (null only for an enabled policy
-- that applies to the user on every sign-in), applies (all hold, whatever the state),
-- is_candidate (included, or inclusion undecided), depends_on_unread (the reason is
-- data that could not be read: a group or an authentication strength).
-- Only explain reads it, for the profiles left uncovered in some context, so only they
-- are evaluated; set the variable ca_evaluate_every_member to true to evaluate the
-- profile of every enabled member.
with
profiles as (
    select p.profile_key
    from int_ca_profile_sets as p
    inner join int_ca_set_coverage as s
        on s.set_key = p.set_key
    where s.uncovered_contexts > 0
        or coalesce(getvariable('ca_evaluate_every_member'), false)
),

matches as materialized (
    select profile_key, policy_id, side, path_rank, detail, is_certain
    from int_ca_profile_policy_matches
),

include_matches as (
    select
        profile_key,
        policy_id,
        bool_or(is_certain) as is_included,
        arg_min(detail, (path_rank, detail)) filter (where not is_certain) as unsure_detail
    from matches
    where side = 'include'
    group by profile_key, policy_id
),

exclude_matches as (
    select
        profile_key,
        policy_id,
        arg_min(
            case when is_certain then 'excluded via ' else 'excluded: ' end || detail
            || case when is_certain then '' else ' (fail-safe)' end,
            (not is_certain, path_rank, detail)
        ) as reason
    from matches
    where side = 'exclude'
    group by profile_key, policy_id
),

unread_groups as (
    select
        policy_id,
        arg_min('group ' || group_name || ': ' || unread_reason, group_name)
            filter (where side = 'include') as include_unread,
        arg_min('group ' || group_name || ': ' || unread_reason, group_name)
            filter (where side = 'exclude') as exclude_unread
    from int_ca_policy_groups
    where not is_read
    group by policy_id
),

policies as (
    select
        u.policy_id,
        r.display_name,
        r.state,
        u.includes_all,
        u.excludes_all,
        u.unmodelled_exclusions,
        g.include_unread,
        g.exclude_unread,
        r.failed_rule as policy_failed_rule,
        r.reason as policy_reason,
        r.depends_on_unread as policy_depends_on_unread,
        r.scope
    from int_ca_policy_users as u
    inner join int_ca_policy_requirements as r
        on r.policy_id = u.policy_id
    left join unread_groups as g
        on g.policy_id = u.policy_id
),

evaluated as (
    select
        m.profile_key,
        p.policy_id,
        p.display_name as policy_display_name,
        p.state,
        p.includes_all or coalesce(i.is_included, false) as is_included,
        coalesce(p.include_unread, i.unsure_detail) as unsure_inclusion,
        p.include_unread is not null as inclusion_is_unread,
        case
            when p.excludes_all then 'excluded: excludeUsers contains All'
            when e.reason is not null then e.reason
            when p.exclude_unread is not null
                then 'excluded: ' || p.exclude_unread || ' (fail-safe)'
            when len(p.unmodelled_exclusions) > 0
                then 'excluded: users.' || p.unmodelled_exclusions[1]
                || ' not modelled (fail-safe)'
        end as exclusion,
        e.reason is null and not p.excludes_all and p.exclude_unread is not null
            as exclusion_is_unread,
        p.policy_failed_rule,
        p.policy_reason,
        p.policy_depends_on_unread,
        p.scope
    from profiles as m
    cross join policies as p
    left join include_matches as i
        on i.profile_key = m.profile_key
        and i.policy_id = p.policy_id
    left join exclude_matches as e
        on e.profile_key = m.profile_key
        and e.policy_id = p.policy_id
),

judged as (
    select
        profile_key,
        policy_id,
        policy_display_name,
        state,
        is_included,
        unsure_inclusion,
        case
            when not is_included then 1
            when exclusion is not null then 2
            else policy_failed_rule
        end as failed_rule,
        case
            when not is_included
                then 'not included' || coalesce(': ' || unsure_inclusion, '')
            when exclusion is not null then exclusion
            else policy_reason
        end as rule_reason,
        case
            when not is_included then inclusion_is_unread
            when exclusion is not null then exclusion_is_unread
            else policy_depends_on_unread
        end as depends_on_unread,
        scope
    from evaluated
)

select
    profile_key,
    policy_id,
    policy_display_name,
    state,
    failed_rule,
    coalesce(
        rule_reason,
        case state
            when 'enabled' then null
            when 'enabledForReportingButNotEnforced' then 'report-only'
            when 'disabled' then 'disabled'
            else 'state ' || coalesce(state, 'null')
        end
        || case when scope = 'every sign-in' then '' else ', applies only to ' || scope end,
        case when scope <> 'every sign-in' then 'applies only to ' || scope end
    ) as reason,
    failed_rule is null as applies,
    is_included or unsure_inclusion is not null as is_candidate,
    coalesce(depends_on_unread, false) as depends_on_unread
from judged
