-- int_ca_reference_warnings
-- Grain: one row per warning of entra_ca_coverage_gaps_exact about an enabled policy
-- whose references could not be read or identified (docs/ca-resolver.md, "The value"
-- and "Fail-safe choices"): a group whose members were not read, an authentication
-- strength that was not read or has neither id nor displayName, a policy without id,
-- and a policy that names locations when the named locations (their trust) were not
-- read. Report-only and disabled policies never cover, so they never warn.
-- Inputs: int_ca_policy_groups, int_ca_policy_strengths, stg_ca_policy_documents,
-- int_ca_policy_list_items, stg_collections.
-- Output: warning, one sentence naming the policy, the reference and the fail-safe.
with
location_read as (
    select
        coalesce(max(outcome), 'absent') as outcome,
        max(http_status) as http_status,
        max(error_code) as error_code
    from stg_collections
    where collection_name = 'named_locations'
),

location_policies as (
    select distinct d.policy_id, coalesce(d.display_name, d.policy_id) as policy_name
    from stg_ca_policy_documents as d
    inner join int_ca_policy_list_items as i
        on i.policy_id = d.policy_id
    where d.state = 'enabled'
        and i.kind = 'location'
        and i.item_key <> 'all'
)

select
    'Conditional Access policy ''' || policy_display_name || ''' names group '
    || group_name
    || case when group_name <> group_ref then ' (' || group_ref || ')' else '' end
    || ' in ' || side || 'Groups, but '
    || unread_reason || ': the policy covers no one that group decides '
    || '(fail-safe).' as warning
from int_ca_policy_groups
where state = 'enabled'
    and not is_read
union all
select
    'Conditional Access policy ''' || policy_display_name || ''' requires '
    || 'authentication strength ' || strength_name || ' ('
    || coalesce(strength_id, 'no id') || '), but ' || unread_reason
    || ': the policy covers no one unless it also requires mfa (fail-safe).'
from int_ca_policy_strengths
where state = 'enabled'
    and unread_reason is not null
union all
select
    'Conditional Access policy ''' || policy_display_name || ''' requires an '
    || 'authentication strength with neither id nor displayName, so it cannot be '
    || 'identified: the policy covers no one (fail-safe).'
from int_ca_policy_strengths
where state = 'enabled'
    and not is_identified
union all
select
    'Conditional Access policy ''' || coalesce(display_name, policy_id) || ''' has no id, '
    || 'so it cannot be identified: it covers no one (fail-safe).'
from stg_ca_policy_documents
where state = 'enabled'
    and not has_id
union all
select
    'Conditional Access policy ''' || p.policy_name || ''' names locations, but '
    || case
        when r.outcome = 'absent'
            then 'the snapshot predates the named_locations collection'
        else 'GET /identity/conditionalAccess/namedLocations was refused (HTTP '
            || coalesce(r.http_status::varchar, '?') || ', '
            || coalesce(r.error_code, 'no error code') || ')'
    end
    || ': every named location counts as possibly trusted (fail-safe).'
from location_policies as p
cross join location_read as r
where r.outcome in ('absent', 'forbidden', 'not_found')
