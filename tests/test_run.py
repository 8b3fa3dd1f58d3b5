"""Scheduled operation (docs/configuration.md): run, its exit codes, the lock, runs, prune."""

from __future__ import annotations

import gzip
import json
import os
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from entra_kri.cli import cli
from entra_kri.lock import LOCK_FILE, LockedError, tenant_lock
from fake_graph import FakeGraph, allow_loopback, make_demo_tenant, make_tenant
from tests.series_builder import build_series
from tests.snapshot_builder import TENANT_ID


@pytest.fixture
def two_tenants(tmp_path):
    """Two fake tenants and an entra-kri.toml naming both."""
    now = datetime.now(UTC).replace(microsecond=0)
    demo, volume = make_demo_tenant(now), make_tenant(300, seed=3, now=now)
    with FakeGraph(demo) as fake_demo, FakeGraph(volume) as fake_volume:
        config = tmp_path / "entra-kri.toml"
        blocks = []
        for name, tenant, fake in (("demo", demo, fake_demo), ("volume", volume, fake_volume)):
            blocks.append(textwrap.dedent(f"""
                [tenants.{name}]
                tenant_id = "{tenant.tenant_id}"
                client_id = "{tenant.client_id}"
                graph_url = "{fake.graph_url}"
                login_url = "{fake.login_url}"
                ca_bundle = "{fake.ca_bundle}"
                secret_env = "SECRET_{name.upper()}"
                """))
        config.write_text('root = "snaps"\n' + "".join(blocks))
        env = {"SECRET_DEMO": demo.client_secret, "SECRET_VOLUME": volume.client_secret}
        yield config, env, demo, volume


def invoke(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env)


def last_run(tenant_dir: Path) -> dict:
    """The tenant's last run record: its end line, the one after its start line."""
    lines = (tenant_dir / "runs.ndjson").read_text().splitlines()
    assert json.loads(lines[-2])["outcome"] == "started"
    return json.loads(lines[-1])


@allow_loopback
def test_run_all_captures_every_tenant_and_updates_history(two_tenants, tmp_path):
    config, env, demo, volume = two_tenants
    result = invoke("run", "--all", "--config", str(config), env=env)
    assert result.exit_code == 0, result.output
    for tenant in (demo, volume):
        tenant_dir = tmp_path / "snaps" / tenant.tenant_id
        assert len([p for p in tenant_dir.iterdir() if p.name[0].isdigit()]) == 1
        assert (tenant_dir / "history.duckdb").exists()
        run = last_run(tenant_dir)
        assert run["outcome"] == "ok" and run["rows"]["users"] > 0
        assert not (tenant_dir / LOCK_FILE).exists()
    runs = invoke("runs", str(tmp_path / "snaps"))
    assert runs.exit_code == 0 and runs.stdout.count(" ok ") == 2


@allow_loopback
def test_fail_on_breach_exits_3(two_tenants):
    config, env, *_ = two_tenants
    result = invoke("run", "--tenant", "demo", "--config", str(config), "--fail-on", "breach",
                    env=env)
    assert result.exit_code == 3, result.output


@allow_loopback
def test_a_failing_tenant_exits_1_and_the_others_still_run(two_tenants, tmp_path):
    config, env, demo, volume = two_tenants
    env = {**env, "SECRET_DEMO": "wrong"}
    result = invoke("run", "--all", "--config", str(config), env=env)
    assert result.exit_code == 1
    assert "demo" in result.stderr and "AADSTS7000215" in result.stderr
    assert last_run(tmp_path / "snaps" / volume.tenant_id)["outcome"] == "ok"
    demo_run = last_run(tmp_path / "snaps" / demo.tenant_id)
    assert demo_run["outcome"] == "failed" and "wrong" not in json.dumps(demo_run)


@allow_loopback
def test_every_failure_line_names_the_tenant_id_and_name(two_tenants):
    """An id Entra does not know (AADSTS90002): each message about it says which tenant."""
    config, env, demo, _ = two_tenants
    unknown = "00000000-0000-0000-0000-0000000000aa"
    config.write_text(config.read_text().replace(demo.tenant_id, unknown))
    result = invoke("run", "--all", "--config", str(config), env=env)
    assert result.exit_code == 1
    failures = [line for line in result.stderr.splitlines() if "demo" in line or unknown in line]
    assert any("AADSTS90002" in line for line in failures)
    assert failures and all(unknown in line and "demo" in line for line in failures)


def test_run_without_tenant_choice_is_a_usage_error(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'[tenants.a]\ntenant_id = "{TENANT_ID}"\n'
                      'client_id = "0c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5"\n')
    assert invoke("run", "--config", str(config)).exit_code == 2


def test_a_live_lock_is_refused_naming_its_holder(tmp_path):
    (tmp_path / LOCK_FILE).write_text(json.dumps(
        {"pid": os.getpid(), "host": os.uname().nodename, "started": "2026-11-27T01:00:00Z"}))
    with pytest.raises(LockedError, match=f"pid {os.getpid()}"), tenant_lock(tmp_path):
        pass


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path, caplog):
    (tmp_path / LOCK_FILE).write_text(json.dumps(
        {"pid": 2**22 + 12345, "host": os.uname().nodename, "started": "2026-11-27T01:00:00Z"}))
    with tenant_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert "Taking over the lock" in caplog.text
    assert not (tmp_path / LOCK_FILE).exists()


def test_a_locked_tenant_makes_snapshot_fail_cleanly(tmp_path):
    tenant_dir = tmp_path / "out" / "7f3c1e2a-4b5d-4c6e-9f80-1a2b3c4d5e6f"
    tenant_dir.mkdir(parents=True)
    (tenant_dir / LOCK_FILE).write_text(json.dumps(
        {"pid": os.getpid(), "host": os.uname().nodename, "started": "x"}))
    from tests.conftest import DEMO_CASSETTE
    result = invoke("snapshot", "--replay", str(DEMO_CASSETTE), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "Another run holds" in result.stderr


def _series(root: Path) -> Path:
    build_series(root, days=20)
    return root / TENANT_ID


def test_prune_keeps_the_chain_verifiable(tmp_path):
    tenant_dir = _series(tmp_path)
    result = invoke("prune", str(tmp_path), "--keep-daily", "5")
    assert result.exit_code == 0, result.output
    assert len([p for p in tenant_dir.iterdir() if p.name[0].isdigit()]) == 5
    assert len((tenant_dir / "pruned.ndjson").read_text().splitlines()) == 15
    verified = invoke("verify", str(tmp_path))
    assert verified.exit_code == 0, verified.output


def test_a_snapshot_removed_by_hand_after_prune_is_still_detected(tmp_path):
    import shutil
    tenant_dir = _series(tmp_path)
    invoke("prune", str(tmp_path), "--keep-daily", "5")
    kept = sorted(p for p in tenant_dir.iterdir() if p.name[0].isdigit())
    shutil.rmtree(kept[2])
    result = invoke("verify", str(tmp_path))
    assert result.exit_code == 1 and kept[3].name in result.stdout


def test_prune_dry_run_removes_nothing(tmp_path):
    tenant_dir = _series(tmp_path)
    result = invoke("prune", str(tmp_path), "--keep-daily", "3", "--dry-run")
    assert result.exit_code == 0 and result.stdout.count("would prune /") == 17
    assert len([p for p in tenant_dir.iterdir() if p.name[0].isdigit()]) == 20


def test_keep_monthly_keeps_one_per_month(tmp_path):
    from entra_kri.prune import plan_prune
    tenant_dir = _series(tmp_path)  # 20 days from 2026-10-01: one month
    plan = plan_prune(tenant_dir, keep_daily=0, keep_monthly=3)
    assert [p.name for p in plan.keep] == [sorted(p.name for p in plan.keep + plan.prune)[-1]]


@allow_loopback
def test_known_secrets_never_reach_output_or_files(two_tenants, tmp_path):
    """Every command run with a known secret; all output and files scanned."""
    config, env, demo, volume = two_tenants
    secrets = [demo.client_secret.encode(), volume.client_secret.encode()]
    outputs = [
        invoke("run", "--all", "--config", str(config), env=env),
        invoke("check", "--tenant", "demo", "--config", str(config), env=env),
        invoke("snapshot", "--tenant", "volume", "--config", str(config), env=env),
        invoke("run", "--all", "--config", str(config), env={**env, "SECRET_DEMO": "x"}),
        invoke("runs", str(tmp_path / "snaps"), "--format", "json"),
        invoke("trend", str(tmp_path / "snaps"), "--tenant", demo.tenant_id),
        invoke("report", str(tmp_path / "snaps"), "--tenant", demo.tenant_id,
               "--out", str(tmp_path / "report.html")),
    ]
    for result in outputs:
        text = (result.stdout + result.stderr).encode()
        assert not any(secret in text for secret in secrets)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != config.name]
    assert len(files) > 20
    for path in files:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        assert not any(secret in data for secret in secrets), path


def _failing_history_cache(monkeypatch, tenant_id: str, error: Exception) -> None:
    """Raise `error` when the history cache of `tenant_id` is opened (after its snapshot
    was taken)."""
    import duckdb

    real_connect = duckdb.connect

    def failing(database=":memory:", *args, **kwargs):
        if tenant_id in str(database):
            raise error
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", failing)


@allow_loopback
def test_run_all_tries_every_tenant_after_an_unexpected_error(two_tenants, tmp_path,
                                                              monkeypatch):
    """One tenant's unexpected error is recorded with its type and message; the next
    tenant still runs; the exit status is 1; the traceback goes to the debug log only."""
    config, env, demo, volume = two_tenants
    error = KeyError("a bug")
    _failing_history_cache(monkeypatch, demo.tenant_id, error)
    result = invoke("run", "--all", "--config", str(config), env=env)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert f"{type(error).__name__}: " in result.stderr
    demo_run = last_run(tmp_path / "snaps" / demo.tenant_id)
    assert demo_run["outcome"] == "failed"
    assert demo_run["error"] == f"{type(error).__name__}: {error}"
    volume_run = last_run(tmp_path / "snaps" / volume.tenant_id)
    assert volume_run["outcome"] == "ok"
    debug = invoke("--verbose", "run", "--tenant", "demo", "--config", str(config), env=env)
    assert debug.exit_code == 1 and "Traceback" in debug.stderr


@allow_loopback
def test_run_records_a_full_disk_as_its_one_paragraph_error_and_goes_on(two_tenants, tmp_path,
                                                                       monkeypatch):
    """docs/operations.md, "Full disks and read-only directories": a full disk is an
    expected failure, reported in one paragraph with its fix, never as an unexpected
    error; the next tenant still runs."""
    config, env, demo, volume = two_tenants
    _failing_history_cache(monkeypatch, demo.tenant_id, OSError(28, "No space left on device"))
    result = invoke("run", "--all", "--config", str(config), env=env)
    assert result.exit_code == 1
    assert "unexpected error" not in result.stderr and "Free some space" in result.stderr
    demo_run = last_run(tmp_path / "snaps" / demo.tenant_id)
    assert demo_run["outcome"] == "failed"
    assert "No space left on device (errno 28)" in demo_run["error"]
    assert "Free some space" in demo_run["error"]
    assert last_run(tmp_path / "snaps" / volume.tenant_id)["outcome"] == "ok"


KILL_DURING_HISTORY = """
import os, signal, sys
import duckdb
from entra_kri.cli import cli

real_connect = duckdb.connect

def killed(database=":memory:", *args, **kwargs):
    if "history" in str(database):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_connect(database, *args, **kwargs)

duckdb.connect = killed
cli(["run", "--tenant", "demo", "--config", sys.argv[1]], prog_name="entra-kri")
"""


@allow_loopback
def test_a_run_killed_with_kill_9_is_listed_as_started_never_finished(two_tenants, tmp_path):
    import signal
    import subprocess
    import sys

    config, env, *_ = two_tenants
    child = subprocess.run([sys.executable, "-c", KILL_DURING_HISTORY, str(config)],
                           env={**os.environ, **env}, cwd=tmp_path, capture_output=True,
                           timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    runs = invoke("runs", str(tmp_path / "snaps"))
    assert runs.exit_code == 0, runs.output
    assert "started" in runs.stdout and "never finished" in runs.stdout
    (recorded,) = json.loads(invoke("runs", str(tmp_path / "snaps"), "--format",
                                    "json").stdout)
    assert recorded["outcome"] == "started" and recorded["tenant"] == "demo"
    again = invoke("run", "--tenant", "demo", "--config", str(config), env=env)
    assert again.exit_code == 0, again.output  # the dead run's lock is taken over
    outcomes = [r["outcome"] for r in json.loads(
        invoke("runs", str(tmp_path / "snaps"), "--format", "json").stdout)]
    assert outcomes == ["started", "ok"]


@allow_loopback
def test_an_interrupted_run_is_recorded_as_interrupted(two_tenants, tmp_path, monkeypatch):
    import duckdb

    config, env, *_ = two_tenants
    real_connect = duckdb.connect

    def interrupted(database=":memory:", *args, **kwargs):
        if "history" in str(database):
            raise KeyboardInterrupt
        return real_connect(database, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", interrupted)
    result = invoke("run", "--all", "--config", str(config), env=env)
    assert result.exit_code != 0
    (recorded,) = json.loads(invoke("runs", str(tmp_path / "snaps"), "--format",
                                    "json").stdout)
    assert recorded["outcome"] == "failed" and recorded["error"] == "interrupted"


@allow_loopback
def test_a_run_record_that_cannot_be_written_is_logged_and_the_run_goes_on(two_tenants,
                                                                           tmp_path):
    config, env, demo, _ = two_tenants
    (tmp_path / "snaps" / demo.tenant_id / "runs.ndjson").mkdir(parents=True)
    result = invoke("run", "--tenant", "demo", "--config", str(config), env=env)
    assert result.exit_code == 0, result.output
    assert "the run record could not be kept" in result.stderr


def test_runs_skips_a_line_cut_short_by_a_full_disk_and_names_it(tmp_path):
    tenant_dir = tmp_path / "snaps" / TENANT_ID
    tenant_dir.mkdir(parents=True)
    whole = json.dumps({"run_id": "r1", "tenant": "demo", "tenant_id": TENANT_ID,
                        "started": "2026-11-30T01:00:00Z", "outcome": "started"})
    (tenant_dir / "runs.ndjson").write_text(whole + "\n" + whole[:40] + "\n")
    runs = invoke("runs", str(tmp_path / "snaps"))
    assert runs.exit_code == 0, runs.output
    assert "r1" in runs.stdout and "never finished" in runs.stdout
    assert "runs.ndjson line 2 is not a run record" in runs.stderr
