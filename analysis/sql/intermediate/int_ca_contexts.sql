-- int_ca_contexts
-- Grain: one row per sign-in context, over classes of values (int_ca_context_classes):
-- one class of each dimension (docs/ca-resolver.md, "Sign-in contexts").
-- Inputs: int_ca_context_classes.
-- Output: context_id and the class id of each dimension.
-- Materialized: table (read by several views; computed once)
with
classes as materialized (
    select dimension, class_id
    from int_ca_context_classes
)

select
    row_number() over (order by a.class_id, c.class_id, p.class_id, l.class_id,
        u.class_id, s.class_id, f.class_id) as context_id,
    a.class_id as application,
    c.class_id as client_app,
    p.class_id as platform,
    l.class_id as location,
    u.class_id as user_risk,
    s.class_id as sign_in_risk,
    f.class_id as flow
from (select class_id from classes where dimension = 'application') as a
cross join (select class_id from classes where dimension = 'client_app') as c
cross join (select class_id from classes where dimension = 'platform') as p
cross join (select class_id from classes where dimension = 'location') as l
cross join (select class_id from classes where dimension = 'user_risk') as u
cross join (select class_id from classes where dimension = 'sign_in_risk') as s
cross join (select class_id from classes where dimension = 'flow') as f
