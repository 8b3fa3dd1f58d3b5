"""entra-kri query: each collection as a view over all snapshots (issue 3, "query ROOT")."""

from __future__ import annotations

import json

from click.testing import CliRunner

from entra_kri.cli import cli
from tests.series_builder import DAYS, DEPARTMENT_FROM, SIGN_INS_REFUSED_DAY, snapshot_id


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
    assert csv_out == "n\n35\n"
