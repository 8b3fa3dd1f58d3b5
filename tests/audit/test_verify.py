"""entra-kri verify: docs/audit.md, "verify SNAPSHOT | ROOT"; every tamper names its file."""

from __future__ import annotations

import hashlib
import json
import shutil

from click.testing import CliRunner

from entra_kri.cli import cli
from tests.series_builder import snapshot_id, tenant_on
from tests.snapshot_builder import TENANT_ID, build_snapshot


def run(*args):
    return CliRunner().invoke(cli, ["verify", *map(str, args)])


def head_of(root):
    newest = sorted((root / TENANT_ID).iterdir())[-1]
    return hashlib.sha256((newest / "manifest.json").read_bytes()).hexdigest()


def test_intact_root_verifies_and_prints_the_head(series_root):
    result = run(series_root)
    assert result.exit_code == 0, result.output
    assert f"35 snapshot(s), chain head {head_of(series_root)} ({snapshot_id(34)})" in (
        result.output
    )


def test_expect_head(series_root):
    assert run(series_root, "--expect-head", head_of(series_root)).exit_code == 0
    result = run(series_root, "--expect-head", "0" * 64)
    assert result.exit_code == 1
    assert f"chain head is {head_of(series_root)}, expected {'0' * 64}" in result.output


def test_single_snapshot(series_root):
    path = series_root / TENANT_ID / snapshot_id(3)
    result = run(path)
    assert result.exit_code == 0, result.output
    sha = hashlib.sha256((path / "manifest.json").read_bytes()).hexdigest()
    assert f"manifest SHA-256 {sha}" in result.output


def test_one_byte_changed(tenant_dir):
    target = tenant_dir / snapshot_id(12) / "users.ndjson.gz"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    result = run(tenant_dir.parent)
    assert result.exit_code == 1
    assert f"FAIL {target}: SHA-256 " in result.output
    assert "1 problem(s)" in result.output


def test_file_removed(tenant_dir):
    target = tenant_dir / snapshot_id(5) / "sign_ins.ndjson.gz"
    target.unlink()
    result = run(tenant_dir.parent)
    assert result.exit_code == 1
    assert f"FAIL {target}: listed in the manifest but missing" in result.output


def test_unlisted_file(tenant_dir):
    target = tenant_dir / snapshot_id(5) / "extra.ndjson.gz"
    target.write_bytes(b"x")
    result = run(tenant_dir / snapshot_id(5))
    assert result.exit_code == 1
    assert f"FAIL {target}: file not listed in the manifest" in result.output


def test_snapshot_removed_from_the_middle(tenant_dir):
    shutil.rmtree(tenant_dir / snapshot_id(17))
    result = run(tenant_dir.parent)
    assert result.exit_code == 1
    after = tenant_dir / snapshot_id(18) / "manifest.json"
    assert f"FAIL {after}: records previous_manifest_sha256 " in result.output
    assert f"(after {snapshot_id(16)}) was removed" in result.output


def test_oldest_snapshot_removed(tenant_dir):
    shutil.rmtree(tenant_dir / snapshot_id(0))
    result = run(tenant_dir.parent)
    assert result.exit_code == 1
    assert "is the oldest snapshot but records previous_manifest_sha256" in result.output
    assert str(tenant_dir / snapshot_id(1) / "manifest.json") in result.output


def test_manifest_rewritten_to_match_a_changed_file(tenant_dir):
    """Changing a file and its manifest entry together still breaks the chain."""
    path = tenant_dir / snapshot_id(12)
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "users.ndjson.gz").write_bytes(b"forged")
    for entry in manifest["collections"]:
        if entry["name"] == "users":
            entry.update(bytes=6, sha256=hashlib.sha256(b"forged").hexdigest())
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    result = run(tenant_dir.parent)
    assert result.exit_code == 1
    assert str(tenant_dir / snapshot_id(13) / "manifest.json") in result.output
    assert f"or {snapshot_id(12)} was replaced" in result.output


def test_renamed_to_an_earlier_date(tenant_dir):
    """Back-dating by renaming the directory: the manifest disagrees and the chain breaks."""
    old = tenant_dir / snapshot_id(20)
    back_dated = tenant_dir / "20261010T120000Z"
    old.rename(back_dated)
    result = run(tenant_dir.parent)
    assert result.exit_code == 1
    assert f"FAIL {back_dated / 'manifest.json'}: snapshot_id '{snapshot_id(20)}'" in (
        result.output
    )
    assert "out of order" in result.output


def test_back_dated_insertion(tenant_dir):
    """A forged snapshot slipped in between two days, chained to the day before."""
    day10 = tenant_dir / snapshot_id(10) / "manifest.json"
    previous = hashlib.sha256(day10.read_bytes()).hexdigest()
    forged = build_snapshot(
        tenant_dir.parent, previous_manifest_sha256=previous,
        **{**tenant_on(10), "captured_at": "2026-10-11T12:00:00Z"},
    )
    result = run(tenant_dir.parent)
    assert result.exit_code == 1
    day11 = tenant_dir / snapshot_id(11) / "manifest.json"
    assert f"FAIL {day11}: records the manifest of an earlier snapshot" in result.output
    assert f"around {forged.name}" in result.output


def test_head_replaced_is_caught_by_expect_head(series_copy, tenant_dir):
    head = head_of(series_copy)
    newest = tenant_dir / snapshot_id(34)
    previous = json.loads((newest / "manifest.json").read_text())["previous_manifest_sha256"]
    shutil.rmtree(newest)
    build_snapshot(series_copy, previous_manifest_sha256=previous,
                   **{**tenant_on(34), "users": []})
    assert run(series_copy).exit_code == 0
    result = run(series_copy, "--expect-head", head)
    assert result.exit_code == 1
    assert "expected " + head in result.output


def test_files_outside_snapshots_are_not_part_of_the_chain(tenant_dir):
    (tenant_dir / "history.duckdb").write_bytes(b"cache")
    (tenant_dir / ".20261201T000000Z.partial").mkdir()
    (tenant_dir.parent / "run.log").write_text("log")
    assert run(tenant_dir.parent).exit_code == 0


def test_unknown_tenant_is_refused_instead_of_verifying_the_others(series_root):
    result = run(series_root, "--tenant", "demo")
    assert result.exit_code == 2, result.output
    assert "No tenant 'demo' here" in result.output
    assert "verified" not in result.output
