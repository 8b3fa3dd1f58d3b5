"""`prune` and retention (docs/configuration.md, "Retention"): a snapshot still under the
configuration's retention_days is kept whatever --keep-daily says, and prune says why."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from entra_kri.cli import cli
from entra_kri.prune import plan_prune
from entra_kri.snapshot.retention import Retention
from tests.series_builder import START, build_series
from tests.snapshot_builder import TENANT_ID

DAY_11 = START + timedelta(days=11)  # the series has one snapshot a day from START


def test_a_snapshot_under_retention_is_kept_with_the_date_and_the_setting(tmp_path):
    build_series(tmp_path, days=20)
    plan = plan_prune(tmp_path / TENANT_ID, keep_daily=2, keep_monthly=0,
                      retention=Retention(10, "compliance"), now=DAY_11 + timedelta(days=10))
    assert len(plan.keep) == 8 and len(plan.prune) == 12  # days 12-19 retained, 18-19 kept
    assert sorted(p.name[:8] for p in plan.retained) == [f"202610{d:02}" for d in range(13, 19)]
    reason = plan.retained[tmp_path / TENANT_ID / "20261013T060000Z"]
    assert reason == ("under retention until 2026-10-23T06:00:00Z "
                      "(retention_days = 10, compliance mode)")


def test_a_snapshot_whose_retention_has_ended_is_pruned(tmp_path):
    build_series(tmp_path, days=5)
    plan = plan_prune(tmp_path / TENANT_ID, keep_daily=1, keep_monthly=0,
                      retention=Retention(1, "governance"), now=START + timedelta(days=30))
    assert (len(plan.keep), len(plan.prune), plan.retained) == (1, 4, {})


def test_prune_with_a_configured_retention_keeps_those_snapshots_and_says_so(tmp_path):
    snapshots = build_series(tmp_path / "root", days=20)
    days = (datetime.now(UTC) - DAY_11) // timedelta(days=1)  # days 12-19 still retained
    config = tmp_path / "entra-kri.toml"
    config.write_text(textwrap.dedent(f"""
        retention_days = {days}
        retention_mode = "governance"
        """))
    result = CliRunner().invoke(cli, ["prune", str(tmp_path / "root"), "--config", str(config),
                                      "--keep-daily", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count(": under retention until ") == 6
    assert f"kept {snapshots[12]}: under retention until" in result.stdout
    assert f"{TENANT_ID}: kept 8 (6 under retention), pruned 12" in result.stdout
    assert [p.exists() for p in snapshots] == [False] * 12 + [True] * 8
    assert CliRunner().invoke(cli, ["verify", str(tmp_path / "root")]).exit_code == 0
