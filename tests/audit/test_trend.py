"""entra-kri trend and the per-tenant history cache (docs/audit.md, "trend")."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import sys
from datetime import date

import pytest
from click.testing import CliRunner
from entra_kri.analysis import compute as compute_module
from entra_kri.analysis import history as history_module
from entra_kri.analysis.history import HISTORY_FILE, kri_history
from entra_kri.analysis.trend import sparkline

from entra_kri.cli import cli
from entra_kri.kris import KRI_SLUGS, KRIS
from tests.series_builder import DAYS, SIGN_INS_REFUSED_DAY, snapshot_id
from tests.snapshot_builder import TENANT_ID, build_snapshot, user


@pytest.fixture
def root(series_history_root):
    """The series with its history cache filled once (conftest)."""
    return series_history_root


def test_second_run_comes_from_the_cache(root):
    history = kri_history(root)
    assert history.computed == 0
    assert len(history.points) == DAYS * len(KRI_SLUGS)
    assert [p.snapshot_id for p in history.points[:: len(KRI_SLUGS)]] == [
        snapshot_id(d) for d in range(DAYS)
    ]


def test_every_point_carries_tool_version_and_sql_sha256(root):
    for point in kri_history(root).points:
        assert point.tool_version
        assert point.sql_sha256 == hashlib.sha256(
            compute_module.kri_sql(point.slug)).hexdigest()


def test_deleting_the_cache_loses_nothing(root, tmp_path):
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    kwargs = {"since": date(2026, 10, 17),
              "until": date(2026, 10, 20)}
    before = kri_history(copy, **kwargs)
    (copy / TENANT_ID / HISTORY_FILE).unlink()
    after = kri_history(copy, **kwargs)
    assert before.computed == 0 and after.computed == 4 * len(KRI_SLUGS)
    assert after.points == before.points


def test_changed_kri_sql_recomputes_only_that_kri(root, tmp_path, monkeypatch):
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    original = compute_module.kri_sql
    changed = "entra_guest_account_count"

    def kri_sql(slug):
        return original(slug) + (b"\n-- revised\n" if slug == changed else b"")

    monkeypatch.setattr(compute_module, "kri_sql", kri_sql)
    monkeypatch.setattr(history_module, "kri_sql", kri_sql)
    kwargs = {"since": date(2026, 10, 1),
              "until": date(2026, 10, 5)}
    history = kri_history(copy, **kwargs)
    assert history.computed == 5
    new_hash = hashlib.sha256(
        kri_sql(changed)).hexdigest()
    assert {p.sql_sha256 for p in history.points if p.slug == changed} == {new_hash}
    assert kri_history(copy, **kwargs).computed == 0


def test_a_replaced_snapshot_is_recomputed(root, tmp_path):
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    day = copy / TENANT_ID / snapshot_id(3)
    shutil.rmtree(day)
    build_snapshot(copy, users=[user("a")], captured_at="2026-10-04T06:00:00Z")
    history = kri_history(copy, since=date(2026, 10, 4),
                          until=date(2026, 10, 4))
    assert history.computed == len(KRI_SLUGS)
    values = {p.slug: p.value for p in history.points}
    assert values["entra_guest_account_count"] == 0


def test_past_value_reproduces_from_the_cache(root):
    from tests.audit.test_evidence import PAST_VALUES

    history = kri_history(root, since=date(2026, 10, 19),
                          until=date(2026, 10, 19))
    assert {p.slug: p.value for p in history.points} == PAST_VALUES


def test_json_format(root):
    result = CliRunner().invoke(cli, ["trend", str(root), "--format", "json",
                                      "--kri", "entra_failed_signins_24h"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tenant_id"] == TENANT_ID
    points = data["points"]
    assert len(points) == DAYS
    refused = points[SIGN_INS_REFUSED_DAY]
    assert (refused["value"], refused["degraded"]) == (0, True)
    assert set(points[0]) >= {"snapshot_id", "captured_at", "value", "status", "sql_sha256",
                              "tool_version"}


def test_csv_format_with_range(root):
    result = CliRunner().invoke(cli, ["trend", str(root), "--format", "csv", "--since",
                                      "2026-10-30", "--until", "2026-10-31"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 2 * len(KRI_SLUGS)
    stale = [r["value"] for r in rows if r["slug"] == "entra_stale_accounts_90d"]
    assert stale == ["2", "4"]  # u10's last sign-in falls out of the 90 days; a new hire


def test_table_shows_a_sparkline_per_kri(root):
    result = CliRunner().invoke(cli, ["trend", str(root)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "entra_ca_coverage_gaps" in x)
    assert sparkline([1, 1, 0]) == "██▁"
    assert "▁" in line and "▇" in line
    assert f"{DAYS} snapshot(s)" in result.output


def test_per_snapshot_columns_are_the_registrys_short_names(root):
    """Each KRI has a short column name, the exact CA KRI included (it had none)."""
    result = CliRunner().invoke(cli, ["trend", str(root)])
    assert result.exit_code == 0, result.output
    header = next(x for x in result.output.splitlines() if "snapshot" in x and "mfa_pct" in x)
    assert [kri.short_name for kri in KRIS if kri.short_name in header] == [
        kri.short_name for kri in KRIS]
    assert "entra_ca_coverage_gaps_exact" not in header


def test_png_chart(root, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "trend.png"
    result = CliRunner().invoke(cli, ["trend", str(root), "--format", "png", "--out", str(out),
                                      "--kri", "entra_mfa_enrollment_pct"])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_png_bands_follow_the_configured_thresholds(root, tmp_path, monkeypatch):
    """--config: the PNG's bands are the tenant's thresholds, as its statuses are."""
    pytest.importorskip("matplotlib")
    from entra_kri.analysis import trend as trend_module

    config = tmp_path / "entra-kri.toml"
    config.write_text(f'[tenants.t]\ntenant_id = "{TENANT_ID}"\n'
                      'client_id = "11111111-1111-1111-1111-111111111111"\n'
                      "[tenants.t.thresholds]\n"
                      "entra_guest_account_count = { warn = 2, breach = 3 }\n")
    seen = []
    real = trend_module.band_spans
    monkeypatch.setattr(trend_module, "band_spans",
                        lambda threshold, *rest: seen.append(threshold) or real(threshold, *rest))
    result = CliRunner().invoke(cli, ["trend", str(root), "--format", "png", "--config",
                                      str(config), "--kri", "entra_guest_account_count",
                                      "--out", str(tmp_path / "t.png")])
    assert result.exit_code == 0, result.output
    assert [(t.warn, t.breach) for t in seen] == [(2, 3)]


def test_png_without_matplotlib_says_which_extra_to_install(root, tmp_path, monkeypatch):
    """matplotlib is the optional `png` extra: without it, one paragraph and exit 2."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = CliRunner().invoke(cli, ["trend", str(root), "--format", "png",
                                      "--out", str(tmp_path / "t.png")])
    assert result.exit_code == 2
    assert "needs matplotlib" in result.stderr and "entra-kri[png]" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "t.png").exists()


def test_tenant_must_be_named_when_several(root, tmp_path):
    copy = tmp_path / "root"
    shutil.copytree(root / TENANT_ID / snapshot_id(0), copy / TENANT_ID / snapshot_id(0))
    build_snapshot(copy, users=[user("a")], tenant_id="11111111-1111-1111-1111-111111111111")
    result = CliRunner().invoke(cli, ["trend", str(copy)])
    assert result.exit_code == 2
    assert "--tenant" in result.output
    result = CliRunner().invoke(cli, ["trend", str(copy), "--tenant", TENANT_ID])
    assert result.exit_code == 0, result.output
