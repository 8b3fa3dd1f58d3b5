"""entra-kri query: each collection as a view over all snapshots (docs/audit.md, "query")."""

from __future__ import annotations

import json

import duckdb
import pytest
from click.testing import CliRunner
from entra_kri.analysis.query import history_connection

from entra_kri.cli import cli
from tests.series_builder import DAYS, DEPARTMENT_FROM, SIGN_INS_REFUSED_DAY, snapshot_id
from tests.snapshot_builder import TENANT_ID


def run_json(root, *args):
    result = CliRunner().invoke(cli, ["query", str(root), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["rows"]


def test_views_carry_snapshot_id_and_captured_at(series_root):
    rows = run_json(series_root, "select snapshot_id, captured_at, count(*) as n from users "
                                 "group by all order by snapshot_id")
    assert len(rows) == DAYS
    assert rows[0] == {"snapshot_id": snapshot_id(0), "captured_at": "2026-10-01T06:00:00Z",
                       "n": 23}


def test_fields_that_appear_later_are_kept(series_root):
    """users gain `department` on day 20: union_by_name keeps it (19 members a day)."""
    sql = ("select count(department) as n, min(snapshot_id) filter "
           "(where department is not null) as first from users")
    (row,) = run_json(series_root, sql)
    assert row == {"n": (DAYS - DEPARTMENT_FROM) * 19, "first": snapshot_id(DEPARTMENT_FROM)}


def test_refused_collection_is_absent_for_that_snapshot(series_root):
    rows = run_json(series_root, "select distinct snapshot_id from sign_ins")
    assert len(rows) == DAYS - 1
    assert {"snapshot_id": snapshot_id(SIGN_INS_REFUSED_DAY)} not in rows


def test_example_guest_count_per_month(series_root):
    rows = run_json(series_root, "--example", "guest_count_per_month")
    assert rows == [
        {"month": "2026-10", "guest_count_at_month_end": 6, "min_guest_count": 3,
         "max_guest_count": 6, "snapshots": 31},
        {"month": "2026-11", "guest_count_at_month_end": 6, "min_guest_count": 6,
         "max_guest_count": 6, "snapshots": 4},
    ]


def test_example_when_did_a_user_stop_being_mfa_registered(series_root):
    rows = run_json(series_root, "--example", "mfa_registration_lost",
                    "--var", "user=u02@contoso.example")
    assert [(r["last_registered_in"], r["first_unregistered_in"]) for r in rows] == [
        (snapshot_id(13), snapshot_id(14))
    ]


def test_example_role_membership_history(series_root):
    rows = run_json(series_root, "--example", "role_membership_history")
    spans = {(r["role_display_name"], r["member_id"]): (r["first_seen_in"], r["last_seen_in"])
             for r in rows}
    assert spans["Global Administrator", "u01"] == (snapshot_id(0), snapshot_id(21))
    assert spans["Security Reader", "u12"] == (snapshot_id(27), snapshot_id(DAYS - 1))


def test_listing_examples_and_errors(series_root):
    runner = CliRunner()
    listing = runner.invoke(cli, ["query", str(series_root)])
    assert listing.exit_code == 0 and "guest_count_per_month" in listing.output
    bad = runner.invoke(cli, ["query", str(series_root), "select nope from users"])
    assert bad.exit_code == 2
    assert "The query failed" in bad.output
    unknown = runner.invoke(cli, ["query", str(series_root), "--example", "nope"])
    assert unknown.exit_code == 2


def test_table_and_csv(series_root):
    runner = CliRunner()
    sql = "select count(*) as n from snapshots"
    assert "35" in runner.invoke(cli, ["query", str(series_root), sql]).output
    csv_out = runner.invoke(cli, ["query", str(series_root), sql, "--format", "csv"]).output
    assert csv_out == "\"n\"\n35\n"


# The sandbox: query reads the verified snapshot files and nothing else (docs/audit.md).

def refused(root, sql):
    result = CliRunner().invoke(cli, ["query", str(root), sql, "--format", "json"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return result.output


def test_query_cannot_read_a_file_outside_the_snapshots(series_root, tmp_path):
    secret = tmp_path / "client-secret"
    secret.write_text("s3cr3t-value-never-shown")
    output = refused(series_root, f"select content from read_text('{secret}')")
    assert "s3cr3t-value-never-shown" not in output
    assert "only the snapshot files" in output


def test_query_cannot_read_etc_shadow(series_root):
    output = refused(series_root, "select * from read_text('/etc/shadow')")
    assert "only the snapshot files" in output


def test_query_cannot_copy_over_a_snapshot_file(series_copy):
    from entra_kri.snapshot.validate import open_snapshot
    tenant_dir = series_copy / TENANT_ID
    target = sorted(tenant_dir.glob("*/users.ndjson.gz"))[0]
    before = target.read_bytes()
    output = refused(series_copy, f"copy (select 42 as pwned) to '{target}' "
                                  "(format json, use_tmp_file false)")
    assert "one SELECT" in output
    assert target.read_bytes() == before
    open_snapshot(target.parent)  # still verifies


def test_query_cannot_copy_to_a_new_file(series_root, tmp_path):
    target = tmp_path / "out.csv"
    refused(series_root, f"copy (select 1) to '{target}'")
    assert not target.exists()


def test_query_cannot_hide_a_copy_after_a_select(series_root, tmp_path):
    target = tmp_path / "out.csv"
    refused(series_root, f"select 1; copy (select 1) to '{target}'")
    assert not target.exists()


def test_query_cannot_attach_a_database(series_root, tmp_path):
    refused(series_root, f"attach '{tmp_path / 'other.duckdb'}' as other")
    assert not (tmp_path / "other.duckdb").exists()


def test_query_cannot_install_or_load_an_extension(series_root):
    for sql in ("install httpfs", "load httpfs"):
        assert "one SELECT" in refused(series_root, sql)


def test_query_cannot_reach_the_network(series_root):
    output = refused(series_root, "select * from read_csv('https://example.com/x.csv')")
    assert "only the snapshot files" in output


def test_query_cannot_turn_its_sandbox_off(series_root):
    assert "one SELECT" in refused(series_root, "set enable_external_access = true")


def test_the_query_connection_itself_refuses_writes_and_settings(series_copy, tmp_path):
    """Behind the one-SELECT rule, DuckDB's own sandbox refuses the other escapes.

    (Not a COPY over a snapshot file: DuckDB's allowed_paths permit writing, so the
    one-SELECT rule alone stops that, as test_query_cannot_copy_over_a_snapshot_file shows.)
    """
    with history_connection(series_copy) as con:
        assert con.execute("select count(*) from users").fetchone()[0] > 0
        for sql in (f"copy (select 1) to '{tmp_path / 'x.csv'}'",
                    f"attach '{tmp_path / 'x.duckdb'}'",
                    "install httpfs",
                    "set enable_external_access = true",
                    "set allowed_directories = ['/']",
                    "set autoload_known_extensions = true"):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    assert not list(tmp_path.glob("x.*"))
