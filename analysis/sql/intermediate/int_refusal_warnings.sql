-- int_refusal_warnings
-- Grain: one row per refused source a KRI depends on: the four licence-gated
-- collections (source = collection name) and signInActivity on /users
-- (source = 'users.signInActivity').
-- Inputs: stg_collections.
-- Rule (docs/kri.md, "When Graph refuses (fail-safe)"): the KRIs that need a refused
-- source take their fail-safe value, "each flagged degraded with a warning that says
-- which endpoint and why". The warning names the endpoint, the HTTP status, Graph's
-- error code and the likely cause and fix.
with
gated_sources as (
    select * from (values
        ('sign_ins', '/auditLogs/signIns', 'AuditLog.Read.All', true),
        ('directory_audits', '/auditLogs/directoryAudits', 'AuditLog.Read.All', false),
        ('conditional_access_policies', '/identity/conditionalAccess/policies',
            'Policy.Read.All', true),
        ('user_registration_details',
            '/reports/authenticationMethods/userRegistrationDetails',
            'AuditLog.Read.All (and Reports.Read.All)', true)
    ) as t (collection_name, endpoint, permission, needs_premium)
),

refused_collections as (
    select
        c.collection_name as source,
        s.endpoint,
        c.http_status,
        c.error_code,
        c.error_message,
        s.permission,
        s.needs_premium
    from stg_collections as c
    inner join gated_sources as s
        on s.collection_name = c.collection_name
    where c.is_refused
),

collection_warnings as (
    select
        source,
        endpoint,
        http_status,
        error_code,
        'GET ' || endpoint || ' was refused (HTTP ' || coalesce(http_status::varchar, '?')
        || ', ' || coalesce(error_code, 'no error code')
        || coalesce(': "' || error_message || '"', '') || '). '
        || case
            when error_code = 'Authentication_RequestFromNonPremiumTenantOrB2CTenant'
                then 'Likely cause: the tenant has no Microsoft Entra ID P1/P2 licence. '
                || 'Fix: license Entra ID P1 or P2 for the tenant.'
            when http_status = 404
                then 'Likely cause: the endpoint is not available in this tenant or cloud'
                || (case when needs_premium then ' (it needs Entra ID P1/P2)' else '' end)
                || '. Fix: check the licence and --graph-url.'
            else 'Likely cause: the app lacks the ' || permission
                || ' application permission or its admin consent'
                || (case when needs_premium then ', or the tenant lacks Entra ID P1/P2'
                    else '' end)
                || '. Fix: grant ' || permission || ' with admin consent'
                || (case when needs_premium then ' and check the licence' else '' end)
                || '.'
        end as warning
    from refused_collections
),

sign_in_activity_warnings as (
    select
        'users.signInActivity' as source,
        '/users' as endpoint,
        case sign_in_activity when 'forbidden' then 403 else http_status end as http_status,
        case sign_in_activity
            when 'forbidden' then 'signInActivity forbidden'
            else 'signInActivity stripped'
        end as error_code,
        case sign_in_activity
            when 'forbidden'
                then 'GET /users with signInActivity selected was refused (HTTP 403); '
                || 'the users were captured without it'
            else 'GET /users answered but no user carried signInActivity'
        end
        || ', so every enabled member counts as stale. Likely cause: the app lacks '
        || 'AuditLog.Read.All or the tenant has no Entra ID P1/P2 licence. Fix: grant '
        || 'AuditLog.Read.All (application permission, admin consent) and license '
        || 'Entra ID P1 or P2.' as warning
    from stg_collections
    where collection_name = 'users'
        and sign_in_activity in ('forbidden', 'stripped')
)

select source, endpoint, http_status, error_code, warning from collection_warnings
union all
select source, endpoint, http_status, error_code, warning from sign_in_activity_warnings
