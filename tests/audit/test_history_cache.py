"""The history cache (ROOT/<tenant>/history.duckdb) is derived data anyone with write access
can edit: a cached value is never shown as verified unless it was rechecked against its
snapshot (analysis/history.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
from click.testing import CliRunner
from entra_kri.analysis.history import HISTORY_FILE, kri_history

from entra_kri.cli import cli
from tests.snapshot_builder import TENANT_ID, build_snapshot, user

GUESTS = "entra_guest_account_count"


def two_snapshots(root: Path) -> list[Path]:
    """Two chained snapshots with 1 and 2 guests, their values cached."""
    first = build_snapshot(root, users=[user("a"), user("g1", user_type="Guest")],
                           captured_at="2026-11-26T11:06:44Z")
    previous = hashlib.sha256((first / "manifest.json").read_bytes()).hexdigest()
    second = build_snapshot(root, users=[user("a"), user("g1", user_type="Guest"),
                                         user("g2", user_type="Guest")],
                            previous_manifest_sha256=previous)
    assert kri_history(root).computed == 2 * 8
    return [first, second]


def forge(root: Path, snapshot: Path, slug: str, value: float) -> None:
    with duckdb.connect(str(root / TENANT_ID / HISTORY_FILE)) as con:
        con.execute("update kri_history set value = ? where snapshot_id = ? and slug = ?",
                    [value, snapshot.name, slug])


def test_verify_root_names_the_snapshot_of_an_edited_cache_value(tmp_path):
    first, _ = two_snapshots(tmp_path)
    assert CliRunner().invoke(cli, ["verify", str(tmp_path)]).exit_code == 0
    forge(tmp_path, first, GUESTS, 0)
    result = CliRunner().invoke(cli, ["verify", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert f"{HISTORY_FILE}: {first.name}: the cached {GUESTS} (value 0) differs from what " \
           "its snapshot gives (value 1)" in result.output


def test_report_never_shows_an_edited_cache_value(tmp_path):
    first, _ = two_snapshots(tmp_path)
    forge(tmp_path, first, GUESTS, 1234)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 1, result.output
    html = out.read_text(encoding="utf-8")
    # Named once, as the edited value, and never shown as a KRI value.
    assert html.count("1234") == 1
    assert f"{first.name}: the cached {GUESTS} (value 1234) differs" in html
    assert ">Verified<" not in html
    # The report recomputed every value, which also repaired the cache.
    assert CliRunner().invoke(cli, ["verify", str(tmp_path)]).exit_code == 0


def test_trend_marks_the_values_it_took_from_the_cache(tmp_path):
    two_snapshots(tmp_path)
    result = CliRunner().invoke(cli, ["trend", str(tmp_path), "--kri", GUESTS,
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    points = json.loads(result.stdout)["points"]
    assert [p["from_cache"] for p in points] == [True, True]
    assert "2 of 2 value(s) come from the history cache" in result.stderr


def test_cache_row_naming_no_snapshot_id_is_a_verify_failure(tmp_path):
    first, _ = two_snapshots(tmp_path)
    with duckdb.connect(str(tmp_path / TENANT_ID / HISTORY_FILE)) as con:
        con.execute("update kri_history set snapshot_id = '../x'' or 1=1' "
                    "where slug = ? and snapshot_id = ?", [GUESTS, first.name])
    result = CliRunner().invoke(cli, ["verify", str(tmp_path)])
    assert result.exit_code == 1
    assert "which is not a snapshot id" in result.output
