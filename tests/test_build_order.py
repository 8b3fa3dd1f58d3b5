"""analysis/build_order.py: each SQL file is created after the files of its layer it reads."""

from __future__ import annotations

from importlib.resources import files

import duckdb
import pytest
from entra_kri.analysis.build_order import build_order, reads
from entra_kri.analysis.compute import create_macros, create_views, set_file_variables

from entra_kri.snapshot.validate import open_snapshot
from tests.snapshot_builder import build_snapshot

SQL = files("entra_kri.analysis").joinpath("sql")


def test_a_file_comes_after_the_files_it_reads():
    statements = {
        "int_c": "select * from int_b cross join int_a",
        "int_b": "select * from int_a",
        "int_a": "select 1 as x",
    }
    assert build_order(statements) == ["int_a", "int_b", "int_c"]


def test_independent_files_come_in_name_order():
    assert build_order({"b": "select 1", "a": "select 2", "c": "select * from a"}) == [
        "a", "b", "c"]


def test_names_in_comments_and_string_literals_are_not_reads():
    sql = "-- reads int_b? no\nselect 'int_b' as name, int_bb from int_a"
    assert reads(sql, {"int_a", "int_b"}) == {"int_a"}


def test_files_reading_each_other_in_a_cycle_are_an_error():
    with pytest.raises(ValueError, match="cycle"):
        build_order({"a": "select * from b", "b": "select * from a"})


@pytest.mark.parametrize("layer", ["staging", "intermediate", "audit"])
def test_each_layer_is_created_in_one_pass_in_the_derived_order(layer):
    """Creating the views in build order needs no retry: every input exists already."""
    statements = {f.name.removesuffix(".sql"): f.read_text("utf-8")
                  for f in SQL.joinpath(layer).iterdir() if f.name.endswith(".sql")}
    order = build_order(statements)
    assert sorted(order) == sorted(statements)
    for position, name in enumerate(order):
        assert reads(statements[name], set(statements)) - {name} <= set(order[:position])


def test_create_views_returns_the_build_order(tmp_path):
    con = duckdb.connect()
    set_file_variables(con, open_snapshot(build_snapshot(tmp_path)))
    create_macros(con)
    staging = create_views(con, "staging", "table")
    assert staging.index("stg_directory_members") < staging.index("stg_role_members")
    intermediate = create_views(con, "intermediate")
    assert intermediate.index("int_role_audit_events") < intermediate.index("int_role_changes")
