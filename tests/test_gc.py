"""`entra-kri gc` and the capture's own clean-up (entra_kri/snapshot/leftovers.py) on a
local root: a killed capture's `.partial` directory is removed, nothing else is."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from entra_kri.cli import cli
from entra_kri.lock import LOCK_FILE
from tests.conftest import DEMO_CASSETTE

TENANT = "00000000-0000-0000-0000-000000000000"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _killed_capture(root, tenant=TENANT):
    """What a capture killed outright leaves on a local disk: a young `.partial` directory."""
    partial = root / tenant / ".20261128T000000Z.partial"
    partial.mkdir(parents=True)
    (partial / "users.ndjson.gz").write_bytes(b"half")
    return partial


def test_gc_removes_a_killed_captures_partial_directory_whatever_its_age(tmp_path):
    snapshot = invoke("snapshot", "--replay", DEMO_CASSETTE, "--out", tmp_path)
    assert snapshot.exit_code == 0, snapshot.output
    partial = _killed_capture(tmp_path, snapshot.stdout.strip().split("/")[-2])
    result = invoke("gc", tmp_path)
    assert result.exit_code == 0, result.output
    assert f"removed files of an uncommitted snapshot {partial}" in result.stdout
    assert not partial.exists()
    assert invoke("verify", tmp_path).exit_code == 0  # the committed snapshot is untouched


def test_gc_dry_run_lists_and_removes_nothing(tmp_path):
    partial = _killed_capture(tmp_path)
    result = invoke("gc", tmp_path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"would remove files of an uncommitted snapshot {partial}", f"{TENANT}: would remove 1"]
    assert (partial / "users.ndjson.gz").read_bytes() == b"half"


def test_gc_leaves_a_tenant_alone_while_a_capture_holds_its_lock(tmp_path):
    partial = _killed_capture(tmp_path)
    (tmp_path / TENANT / LOCK_FILE).write_text(json.dumps(
        {"pid": os.getpid(), "host": os.uname().nodename, "started": "x"}))
    result = invoke("gc", tmp_path)
    assert result.exit_code == 0, result.output
    assert "skipped" in result.stderr and "Another run holds" in result.stderr
    assert partial.exists()
