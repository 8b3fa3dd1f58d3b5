-- int_ca_policy_contexts
-- Grain: one row per (coverage policy, sign-in context it applies to): the policy
-- admits the context's class in every dimension (docs/ca-resolver.md, "A policy
-- applies to a context when").
-- Inputs: int_ca_context_classes, int_ca_contexts.
-- Output: policy_id, context_id.
-- Materialized: table (read by several views; computed once)
with
admitted as materialized (
    select dimension, class_id, unnest(signature) as policy_id
    from int_ca_context_classes
)

select
    a.policy_id,
    x.context_id
from int_ca_contexts as x
inner join admitted as a
    on a.dimension = 'application' and a.class_id = x.application
inner join admitted as c
    on c.policy_id = a.policy_id and c.dimension = 'client_app' and c.class_id = x.client_app
inner join admitted as p
    on p.policy_id = a.policy_id and p.dimension = 'platform' and p.class_id = x.platform
inner join admitted as l
    on l.policy_id = a.policy_id and l.dimension = 'location' and l.class_id = x.location
inner join admitted as u
    on u.policy_id = a.policy_id and u.dimension = 'user_risk' and u.class_id = x.user_risk
inner join admitted as s
    on s.policy_id = a.policy_id and s.dimension = 'sign_in_risk'
    and s.class_id = x.sign_in_risk
inner join admitted as f
    on f.policy_id = a.policy_id and f.dimension = 'flow' and f.class_id = x.flow
