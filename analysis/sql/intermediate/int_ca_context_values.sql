-- int_ca_context_values
-- Grain: one row per (dimension, value) of the sign-in contexts (docs/ca-resolver.md,
-- "Sign-in contexts"): a context is one value of each dimension.
-- Inputs: int_ca_policy_list_items, stg_named_locations.
-- Rule: application: every app id or keyword any policy includes or excludes (All and
-- None are not values), each its own value, plus 'other app'; client app: browser,
-- mobileAppsAndDesktopClients, exchangeActiveSync, other; platform: android, iOS,
-- windows, macOS, linux, windowsPhone, 'other platform'; location: every named location
-- id any policy includes or excludes (All and AllTrusted are not values) plus 'other
-- location'; user risk and sign-in risk: none, low, medium, high; authentication flow:
-- deviceCodeFlow, authenticationTransfer, 'other flow'. A location's trust is
-- isTrusted as read; a location not read, and 'other location', may be trusted
-- (is_trusted null).
-- Output: dimension, value (as shown), value_key (as compared, lower case), position
-- (display order), is_trusted (locations only).
with
fixed as (
    select * from (values
        ('client_app', 'browser', 1),
        ('client_app', 'mobileAppsAndDesktopClients', 2),
        ('client_app', 'exchangeActiveSync', 3),
        ('client_app', 'other', 4),
        ('platform', 'android', 1),
        ('platform', 'iOS', 2),
        ('platform', 'windows', 3),
        ('platform', 'macOS', 4),
        ('platform', 'linux', 5),
        ('platform', 'windowsPhone', 6),
        ('platform', 'other platform', 7),
        ('user_risk', 'none', 1),
        ('user_risk', 'low', 2),
        ('user_risk', 'medium', 3),
        ('user_risk', 'high', 4),
        ('sign_in_risk', 'none', 1),
        ('sign_in_risk', 'low', 2),
        ('sign_in_risk', 'medium', 3),
        ('sign_in_risk', 'high', 4),
        ('flow', 'deviceCodeFlow', 1),
        ('flow', 'authenticationTransfer', 2),
        ('flow', 'other flow', 3),
        ('application', 'other app', 1000000),
        ('location', 'other location', 1000000)
    ) as t (dimension, value, position)
),

named as (
    select
        kind as dimension,
        item_key as value_key,
        min(item) as value
    from int_ca_policy_list_items
    where kind in ('application', 'location')
        and item_key not in ('all', 'none', 'alltrusted')
    group by kind, item_key
),

locations as (
    select
        location_key,
        min(display_name) as display_name,
        -- two reads of one id that disagree: may be trusted
        case when bool_and(is_trusted is not null) then bool_or(is_trusted) end as is_trusted
    from stg_named_locations
    group by location_key
),

named_values as (
    select
        n.dimension,
        coalesce(l.display_name, n.value) as value,
        n.value_key,
        row_number() over (partition by n.dimension order by coalesce(l.display_name, n.value),
            n.value_key) as position,
        l.is_trusted
    from named as n
    left join locations as l
        on n.dimension = 'location'
        and l.location_key = n.value_key
)

select dimension, value, lower(value) as value_key, position, null::boolean as is_trusted
from fixed
union all
select dimension, value, value_key, position, is_trusted
from named_values
