"""analysis/sql/staging and intermediate: normalisation, read through DuckDB directly."""

from datetime import UTC, datetime

import pytest
from entra_kri.analysis.compute import connect, deferred_relations, materialize_for

from entra_kri.snapshot.validate import open_snapshot
from tests.snapshot_builder import build_snapshot, group_member, role_member, user


def query(path, sql):
    with connect(open_snapshot(path)) as con:
        materialize_for(con, sql)
        return con.execute(sql).fetchall()


def test_seven_fractional_digits_parse(tmp_path):
    """docs/kri.md: "Timestamps carry 0 to 7 fractional digits; parse them all"."""
    path = build_snapshot(tmp_path, users=[user("a", last_sign_in="2026-11-20T08:15:30.1234567Z")])
    ((at,),) = query(path, "select last_sign_in_at from stg_users")
    assert at == datetime(2026, 11, 20, 8, 15, 30, 123456, tzinfo=UTC)


@pytest.mark.parametrize("digits", ["", ".1", ".12", ".123", ".1234", ".12345", ".123456"])
def test_zero_to_six_fractional_digits_parse(tmp_path, digits):
    path = build_snapshot(tmp_path, users=[user("a", last_sign_in=f"2026-11-20T08:15:30{digits}Z")])
    ((at,),) = query(path, "select last_sign_in_at from stg_users")
    assert at.replace(microsecond=0) == datetime(2026, 11, 20, 8, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize("never", [None, "", "0001-01-01T00:00:00Z"])
def test_never_spellings_become_null_with_sign_in_activity_present(tmp_path, never):
    path = build_snapshot(tmp_path, users=[user("a", last_sign_in=never)])
    rows = query(path, "select has_sign_in_activity, last_sign_in_at from stg_users")
    assert rows == [(True, None)]


def test_manifest_now_is_captured_at(tmp_path):
    path = build_snapshot(tmp_path)
    ((captured_at,),) = query(path, "select captured_at from stg_manifest")
    assert captured_at == datetime(2026, 11, 27, 11, 6, 44, tzinfo=UTC)


def test_member_odata_type_is_normalised(tmp_path):
    path = build_snapshot(
        tmp_path,
        role_members=[
            role_member("r", "u", "#microsoft.graph.user"),
            role_member("r", "s", "#microsoft.graph.servicePrincipal"),
            role_member("r", "g", "#microsoft.graph.group"),
        ],
    )
    rows = query(path, "select member_id, member_type from stg_role_members order by member_id")
    assert rows == [("g", "group"), ("s", "servicePrincipal"), ("u", "user")]


def test_privileged_users_record_role_and_path(tmp_path):
    path = build_snapshot(
        tmp_path,
        role_members=[
            role_member("r1", "a"),
            role_member("r2", "g1", "#microsoft.graph.group"),
            role_member("r2", "sp", "#microsoft.graph.servicePrincipal"),
        ],
        group_members=[group_member("g1", "a"), group_member("g1", "b")],
    )
    rows = query(
        path,
        "select user_id, role_id, path, via_group_id, via_group_display_name "
        "from int_privileged_users order by all",
    )
    assert rows == [
        ("a", "r1", "direct", None, None),
        ("a", "r2", "group", "g1", "g1"),
        ("b", "r2", "group", "g1", "g1"),
    ]
    assert query(path, "select service_principal_id from int_privileged_service_principals") == [
        ("sp",)
    ]


def test_empty_snapshot_gives_every_view_its_shape(tmp_path):
    """Empty collections (or refused ones, which are empty files) still bind every view."""
    path = build_snapshot(tmp_path)
    views = query(path, "select view_name from duckdb_views() where not internal "
                        "union all select table_name from duckdb_tables()")
    # The sign-in contexts exist without policies: the fixed domains, one class each.
    expected = {"stg_manifest": 1, "stg_collections": 12, "int_source_refusals": 5,
                "int_kri_duplicate_warnings": 8, "int_ca_context_values": 24,
                "int_ca_context_classes": 7, "int_ca_contexts": 1,
                "int_ca_dimensions": 7}
    views += [(name,) for name in sorted(deferred_relations())]
    assert len(views) > 20
    for (view,) in views:
        assert query(path, f"select count(*) from {view}") == [(expected.get(view, 0),)], view


def test_directory_named_key_value_is_not_hive_partitioned(tmp_path):
    """docs/graph-behaviour.md: a directory named key=value turns on hive partitioning by itself."""
    path = build_snapshot(tmp_path / "root=x", users=[user("a")])
    assert query(path, "select user_id from stg_users") == [("a",)]


def test_directory_with_a_quote_in_its_name(tmp_path):
    path = build_snapshot(tmp_path / "o'brien", users=[user("a")])
    assert query(path, "select user_id from stg_users") == [("a",)]
