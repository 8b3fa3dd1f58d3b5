-- int_ca_dimensions
-- Grain: one row per dimension of a sign-in context (docs/ca-resolver.md, "Sign-in
-- contexts").
-- Inputs: none.
-- Output: dimension, label (how explain names it: "app", "client app", "sign-in
-- risk", ...) and position (the order in which explain's lines name the dimensions).
select * from (values
    ('application', 'app', 1),
    ('client_app', 'client app', 2),
    ('platform', 'platform', 3),
    ('location', 'location', 4),
    ('user_risk', 'user risk', 5),
    ('sign_in_risk', 'sign-in risk', 6),
    ('flow', 'flow', 7)
) as t (dimension, label, position)
