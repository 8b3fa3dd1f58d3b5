-- int_ca_policy_strengths
-- Grain: one row per policy whose grantControls names an authentication strength.
-- Inputs: stg_ca_policy_documents, stg_authentication_strength_policies,
-- stg_collections.
-- Rule (docs/ca-resolver.md rule 6): an MFA authentication strength is one whose
-- every allowed combination is multifactor: two or more methods ('password,sms'), or
-- one method that is a second factor on its own (windowsHelloForBusiness, fido2,
-- x509CertificateMultiFactor, deviceBasedPush, temporaryAccessPassOneTime,
-- temporaryAccessPassMultiUse, federatedMultiFactor). "An unknown method makes the
-- combination unknown: not multifactor"; known methods are Graph v1.0's
-- authenticationMethodModes, compared case-insensitively, a repeated one counting
-- once. "Combinations come from the policy's inline authenticationStrength or from
-- /policies/authenticationStrengthPolicies": inline when Graph sent a non-empty list,
-- else looked up by id. When neither has it, unread_reason says why (the read was
-- refused, the snapshot predates the collection, the id is not among those read).
-- A strength with neither id nor displayName cannot be identified: whatever its
-- combinations it is not MFA and is_identified is false (docs/ca-resolver.md: it
-- covers nothing and degrades the KRI).
-- Output: the policy's name and state; the strength's id, name, source and
-- combinations; is_mfa_strength, and weakness (null when MFA): the first combination that
-- is not multifactor and why, or why the strength could not be judged.
with
strengths as (
    select
        policy_id,
        display_name as policy_display_name,
        state,
        json_extract(grant_controls, '/authenticationStrength') as strength
    from stg_ca_policy_documents
    where coalesce(json_type(grant_controls, '/authenticationStrength'), 'NULL') <> 'NULL'
),

inline as (
    select
        policy_id,
        policy_display_name,
        state,
        strength ->> '$.id' as strength_id,
        strength ->> '$.displayName' as inline_name,
        case
            when json_type(strength, '/allowedCombinations') = 'ARRAY'
                and json_array_length(strength, '/allowedCombinations') > 0
                then json_extract_string(strength, '$.allowedCombinations[*]')
        end as inline_combinations
    from strengths
),

collection as (
    select
        coalesce(max(outcome), 'absent') as outcome,
        max(http_status) as http_status,
        max(error_code) as error_code
    from stg_collections
    where collection_name = 'authentication_strength_policies'
),

resolved as materialized (
    select
        i.policy_id,
        i.policy_display_name,
        i.state,
        i.strength_id,
        i.strength_id is not null or i.inline_name is not null as is_identified,
        coalesce(i.inline_name, d.display_name, i.strength_id, '(no id, no displayName)')
            as strength_name,
        case
            when i.inline_combinations is not null then 'inline'
            when d.strength_id is not null then 'authenticationStrengthPolicies'
        end as source,
        coalesce(i.inline_combinations, d.allowed_combinations) as allowed_combinations,
        case
            when i.strength_id is null and i.inline_name is null then null
            when i.inline_combinations is not null or d.strength_id is not null then null
            when c.outcome in ('forbidden', 'not_found')
                then 'GET /policies/authenticationStrengthPolicies was refused (HTTP '
                || coalesce(c.http_status::varchar, '?') || ', '
                || coalesce(c.error_code, 'no error code') || ')'
            when c.outcome = 'absent'
                then 'the snapshot predates the authentication_strength_policies collection'
            else 'it is not among the authentication strengths read'
        end as unread_reason
    from inline as i
    cross join collection as c
    left join stg_authentication_strength_policies as d
        on lower(d.strength_id) = lower(i.strength_id)
),

known_methods as (
    select * from (values
        ('password', false), ('voice', false), ('hardwareoath', false),
        ('softwareoath', false), ('sms', false), ('fido2', true),
        ('windowshelloforbusiness', true), ('microsoftauthenticatorpush', false),
        ('devicebasedpush', true), ('temporaryaccesspassonetime', true),
        ('temporaryaccesspassmultiuse', true), ('email', false),
        ('x509certificatesinglefactor', false), ('x509certificatemultifactor', true),
        ('federatedsinglefactor', false), ('federatedmultifactor', true),
        ('qrcodepin', false)
    ) as t (method, is_second_factor_alone)
),

combinations as (
    select
        r.policy_id,
        c.combination,
        c.position
    from resolved as r
    cross join unnest(r.allowed_combinations) with ordinality as c (combination, position)
    where r.unread_reason is null
        and r.is_identified
),

methods as (
    select distinct
        c.policy_id,
        c.position,
        lower(trim(m.method)) as method
    from combinations as c
    cross join unnest(string_split(c.combination, ',')) as m (method)
    where trim(m.method) <> ''
),

judged_methods as (
    select
        m.policy_id,
        m.position,
        count(*) as method_count,
        list(m.method order by m.method) filter (where k.method is null) as unknown_methods,
        bool_or(coalesce(k.is_second_factor_alone, false)) as has_second_factor_alone
    from methods as m
    left join known_methods as k
        on k.method = m.method
    group by m.policy_id, m.position
),

judged_combinations as (
    select
        c.policy_id,
        c.position,
        c.combination,
        case
            when coalesce(len(j.unknown_methods), 0) > 0
                then 'unknown method ' || array_to_string(j.unknown_methods, ', ')
            when coalesce(j.method_count, 0) = 0 then 'no method'
            when j.method_count = 1 and not j.has_second_factor_alone then 'single factor'
        end as weakness
    from combinations as c
    left join judged_methods as j
        on j.policy_id = c.policy_id
        and j.position = c.position
),

weakest as (
    select
        policy_id,
        count(*) as combination_count,
        arg_min('''' || combination || ''' (' || weakness || ')', position)
            filter (where weakness is not null) as weak_combination
    from judged_combinations
    group by policy_id
)

select
    r.policy_id,
    r.policy_display_name,
    r.state,
    r.strength_id,
    r.is_identified,
    r.strength_name,
    r.source,
    r.allowed_combinations,
    r.unread_reason,
    r.is_identified
        and r.unread_reason is null
        and coalesce(w.combination_count, 0) > 0
        and w.weak_combination is null as is_mfa_strength,
    case
        when not r.is_identified
            then 'authentication strength ' || r.strength_name || ' cannot be identified'
        when r.unread_reason is not null
            then 'authentication strength ' || r.strength_name || ' could not be read: '
            || r.unread_reason
        when coalesce(w.combination_count, 0) = 0
            then 'authentication strength ' || r.strength_name || ' allows no combination'
        when w.weak_combination is not null
            then 'authentication strength ' || r.strength_name || ' allows '
            || w.weak_combination
    end as weakness
from resolved as r
left join weakest as w
    on w.policy_id = r.policy_id
