-- int_ca_policy_grants
-- Grain: one row per Conditional Access policy.
-- Inputs: stg_ca_policy_documents, int_ca_policy_settings, int_ca_policy_strengths.
-- Rule (docs/ca-resolver.md rule 5): the grant guarantees MFA when builtInControls is
-- exactly ['block'] with nothing else (no sign-in gets through); or, under AND, mfa is
-- among builtInControls or an MFA authentication strength is among the controls; or,
-- under OR, the only control (counting built-in controls, the authentication
-- strength, terms of use, custom factors, and any grant setting the resolver does not
-- know) is mfa or an MFA authentication strength. grantControls null: not covered.
-- An operator other than AND (null, unknown) is read as OR, the weaker. Rule 6 (MFA
-- strength) is judged in int_ca_policy_strengths; a strength that could not be read
-- is not MFA and the policy depends_on_unread; one that cannot be identified (neither
-- id nor displayName) fails the grant whatever the operator (docs/ca-resolver.md:
-- it covers nothing). Blank builtInControls entries name no control.
-- Output: guarantees_mfa and, when not, grant_reason, the first reason in words.
with
documents as (
    select
        policy_id,
        grant_controls,
        upper(grant_controls ->> '$.operator') as operator,
        list_filter(
            coalesce(json_extract_string(grant_controls, '$.builtInControls[*]'),
                []::varchar[]),
            lambda c: trim(coalesce(c, '')) <> ''
        ) as built_in_controls,
        coalesce(json_array_length(grant_controls, '/termsOfUse'), 0) as terms_of_use_count,
        coalesce(json_array_length(grant_controls, '/customAuthenticationFactors'), 0)
            as custom_factor_count
    from stg_ca_policy_documents
),

unmodelled as (
    select
        policy_id,
        list(setting order by setting) as settings
    from int_ca_policy_settings
    where section = 'grant'
        and not is_empty
        and setting not in (
            'operator', 'builtInControls', 'customAuthenticationFactors', 'termsOfUse',
            'authenticationStrength'
        )
    group by policy_id
),

strengths as (
    select
        policy_id,
        strength_name,
        unread_reason,
        is_identified,
        is_mfa_strength,
        weakness as strength_weakness
    from int_ca_policy_strengths
),

controls as (
    select
        d.policy_id,
        d.grant_controls is null as has_no_grant,
        coalesce(d.operator, 'null') as operator,
        d.built_in_controls,
        list_transform(d.built_in_controls, lambda c: lower(c)) as built_in_lower,
        s.policy_id is not null as has_strength,
        coalesce(not s.is_identified, false) as strength_unidentified,
        s.strength_name,
        coalesce(s.is_mfa_strength, false) as is_mfa_strength,
        s.strength_weakness,
        s.unread_reason is not null as strength_unread,
        -- Every control but one mfa or one strength, named, for "OR with ..." reasons.
        list_concat(
            list_filter(d.built_in_controls, lambda c: lower(c) <> 'mfa'),
            case
                when s.policy_id is not null
                    and list_contains(list_transform(d.built_in_controls, lambda c: lower(c)),
                        'mfa')
                    then ['authentication strength ' || s.strength_name]
                else []::varchar[]
            end,
            case when d.terms_of_use_count > 0 then ['terms of use'] else []::varchar[] end,
            case
                when d.custom_factor_count > 0 then ['custom authentication factors']
                else []::varchar[]
            end,
            coalesce(u.settings, []::varchar[])
        ) as other_controls,
        len(d.built_in_controls) + (s.policy_id is not null)::integer
            + d.terms_of_use_count + d.custom_factor_count
            + coalesce(len(u.settings), 0) as control_count
    from documents as d
    left join strengths as s
        on s.policy_id = d.policy_id
    left join unmodelled as u
        on u.policy_id = d.policy_id
),

judged as (
    select
        policy_id,
        strength_unread,
        strength_unidentified,
        case
            when has_no_grant then 'no grant controls (grantControls null)'
            when strength_unidentified then strength_weakness
            when control_count = 0 then 'no controls'
            when built_in_lower = ['block'] and control_count = 1 then null
            when operator = 'AND' and list_contains(built_in_lower, 'mfa') then null
            when operator = 'AND' and has_strength and is_mfa_strength then null
            when operator = 'AND' and has_strength then strength_weakness
            when operator = 'AND'
                then 'AND without mfa or an authentication strength ('
                || array_to_string(built_in_controls, ', ') || ')'
            when control_count = 1 and built_in_lower = ['mfa'] then null
            when control_count = 1 and has_strength and is_mfa_strength then null
            when control_count = 1 and has_strength then strength_weakness
            when not list_contains(built_in_lower, 'mfa') and not has_strength
                then 'no mfa control (' || array_to_string(other_controls, ', ') || ')'
            when operator = 'OR' then 'OR with ' || array_to_string(other_controls, ', ')
            else 'operator ' || operator || ' read as OR, with '
                || array_to_string(other_controls, ', ')
        end as reason,
        strength_weakness
    from controls
)

select
    policy_id,
    reason is null as guarantees_mfa,
    case when reason is not null then 'grant: ' || reason end as grant_reason,
    coalesce((strength_unread or strength_unidentified) and reason = strength_weakness, false)
        as depends_on_unread
from judged
