-- int_privileged_service_principals
-- Grain: one row per (service principal, role, path).
-- Inputs: int_privileged_members.
-- Rule (docs/kri.md, shared terms): "Service principals in roles are not users: they are
-- not counted in the KRI, but they are recorded and listed by the drill-down."
select
    principal_id as service_principal_id,
    principal_display_name as display_name,
    role_id,
    role_template_id,
    role_display_name,
    path,
    via_group_id,
    via_group_display_name
from int_privileged_members
where principal_type = 'servicePrincipal'
