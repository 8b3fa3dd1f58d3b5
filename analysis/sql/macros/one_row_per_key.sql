-- one_row_per_key
-- Grain: one row per key of the relation rel, and every row whose key is null.
-- Inputs: rel (a relation, such as a staging file's source) and row_key (an
-- expression over its columns: the id, or the columns that identify a row).
-- Rule (docs/kri.md, "Duplicate ids"): Graph can list an object twice (pages read
-- while the directory changes). One row per key is kept, the same one on every run
-- whatever the order of the file (the row whose fields sort first), with listed_rows:
-- how many rows rel holds for that key (1 for a row without a key).
-- Only the keys listed more than once are ranked: the others are kept as they are,
-- so a million users with no duplicate cost a hash aggregate, not a sort of every row
-- by all its fields.
create macro one_row_per_key(rel, row_key) as table
with
keyed as (
    select *, row_key as __row_key
    from query_table(rel)
),

repeated as (
    select __row_key, count(*) as __listed_rows
    from keyed
    where __row_key is not null
    group by __row_key
    having count(*) > 1
),

listed_once as (
    select * exclude (__row_key), 1 as listed_rows
    from keyed
    anti join repeated
        on repeated.__row_key = keyed.__row_key
),

first_of_repeated as (
    select * exclude (__row_key, __listed_rows), __listed_rows as listed_rows
    from (
        select k.*, p.__listed_rows
        from keyed as k
        inner join repeated as p
            on p.__row_key = k.__row_key
    ) as r
    qualify row_number() over (partition by __row_key order by r) = 1
)

select * from listed_once
union all by name
select * from first_of_repeated
