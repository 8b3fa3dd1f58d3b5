-- int_duplicate_ids
-- Grain: one row per collection that lists an object more than once.
-- Inputs: the staging relations that keep one row per id (listed_rows: how many
-- rows the file holds for it).
-- Rule (docs/kri.md, "Duplicate ids"): each object is counted once; the KRIs that
-- read a collection holding duplicates say so in a warning.
with
listed as (
    select 'users' as collection_name, listed_rows from stg_users
    union all
    select 'user_registration_details', listed_rows from stg_registration
    union all
    select 'directory_roles', listed_rows from stg_directory_roles
    union all
    select collection, listed_rows from stg_directory_members
    union all
    select 'sign_ins', listed_rows from stg_sign_ins
    union all
    select 'directory_audits', listed_rows from stg_directory_audits
    union all
    select 'conditional_access_policies', listed_rows from stg_ca_policy_documents
    union all
    select 'authentication_strength_policies', listed_rows from stg_authentication_strength_policies
    union all
    select 'named_locations', listed_rows from stg_named_locations
),

counted as (
    select
        collection_name,
        count(*) as duplicated_objects,
        sum(listed_rows - 1) as extra_rows
    from listed
    where listed_rows > 1
    group by collection_name
)

select
    collection_name,
    duplicated_objects,
    extra_rows,
    'The ' || collection_name || ' collection lists ' || duplicated_objects
    || ' object(s) more than once (' || extra_rows || ' extra row(s)): each is counted '
    || 'once, from one of its rows (Graph returned it on more than one page).' as warning
from counted
