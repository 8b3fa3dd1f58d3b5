-- one_row_per_key
-- Grain: one row per key of the relation rel, and every row whose key is null.
-- Inputs: rel (a relation, such as a staging file's source) and row_key (an
-- expression over its columns: the id, or the columns that identify a row).
-- Rule (docs/kri.md, "Duplicate ids"): Graph can list an object twice (pages read
-- while the directory changes). One row per key is kept, the same one on every run
-- whatever the order of the file (the row whose fields sort first), with listed_rows:
-- how many rows rel holds for that key (1 for a row without a key).
create macro one_row_per_key(rel, row_key) as table
select
    *,
    case when row_key is null then 1 else count(*) over (partition by row_key) end
        as listed_rows
from query_table(rel) as r
qualify row_key is null
    or row_number() over (partition by row_key order by r) = 1
