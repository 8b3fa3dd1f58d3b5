"""Replay: the demo cassette runs the real capture with the network blocked."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from entra_kri.cli import cli
from fake_graph import FakeGraph, allow_loopback, make_demo_tenant
from tests.conftest import DEMO_CASSETTE, NOW, manifest_of

REPO = Path(__file__).parent.parent
DEMO_KRIS = {  # the demo tenant's values, derived by hand in fake_graph/demo_tenant.py
    "entra_mfa_enrollment_pct": 88.8, "entra_privileged_no_mfa_count": 5,
    "entra_stale_accounts_90d": 8, "entra_ca_coverage_gaps": 267,
    "entra_ca_coverage_gaps_exact": 12,
    "entra_guest_account_count": 16, "entra_failed_signins_24h": 17,
    "entra_priv_role_changes_24h": 4,
}
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}")
BEARER = re.compile(rb"Bearer\s+(?!REDACTED)[A-Za-z0-9._-]{8,}")
SECRET_FIELD = re.compile(rb"client_(secret|assertion)=[^&\s'\"]+")


def replay(root: Path) -> Path:
    result = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE), "--out",
                                      str(root)], env={"ENTRA_KRI_CLIENT_SECRET": ""})
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip())


def kris_json(snapshot: Path) -> dict:
    result = CliRunner().invoke(cli, ["kri", str(snapshot), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_demo_replay_gives_the_demo_values(tmp_path):
    report = kris_json(replay(tmp_path))
    assert {k["slug"]: k["value"] for k in report["kris"]} == DEMO_KRIS
    assert report["captured_at"] == "2026-11-20T09:00:00Z"


def test_replaying_twice_gives_byte_identical_collection_files(tmp_path):
    first, second = replay(tmp_path / "a"), replay(tmp_path / "b")
    files = sorted(p.name for p in first.iterdir() if p.name != "manifest.json")
    assert len(files) == 12
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert kris_json(first)["kris"] == kris_json(second)["kris"]


def test_replay_uses_the_recorded_hosts(tmp_path):
    manifest = manifest_of(replay(tmp_path))
    assert manifest["graph_url"] == "https://graph.microsoft.com/v1.0"
    assert manifest["login_url"] == "https://login.microsoftonline.com"


def _recorded_material() -> list[Path]:
    return [*REPO.glob("fixtures/**/*.yaml"), *REPO.glob("tests/cassettes/**/*.yaml")]


def test_cassettes_hold_no_secret_or_token():
    assert _recorded_material()
    secret = make_demo_tenant(NOW).client_secret.encode()
    for path in _recorded_material():
        data = path.read_bytes()
        assert not JWT.search(data), path
        assert not BEARER.search(data), path
        assert not SECRET_FIELD.search(data), path
        assert secret not in data, path
        assert b"Set-Cookie" not in data, path


def test_snapshots_hold_no_secret_or_token(tmp_path):
    snapshot = replay(tmp_path)
    secret = make_demo_tenant(NOW).client_secret.encode()
    for path in snapshot.iterdir():
        data = path.read_bytes()
        assert secret not in data and not JWT.search(data) and b"REDACTED" not in data, path


@allow_loopback
def test_record_then_replay_round_trip(tmp_path):
    """`snapshot --record` against the fake (real host names), then `--replay` offline."""
    from datetime import UTC, datetime
    tenant = make_demo_tenant(datetime.now(UTC).replace(microsecond=0))
    tape = tmp_path / "run.yaml"
    with FakeGraph(tenant) as fake, fake.route_real_hosts():
        recorded = CliRunner().invoke(cli, [
            "snapshot", "--tenant-id", tenant.tenant_id, "--client-id", tenant.client_id,
            "--ca-bundle", fake.ca_bundle, "--record", str(tape), "--out", str(tmp_path / "live"),
        ], env={"ENTRA_KRI_CLIENT_SECRET": tenant.client_secret})
    assert recorded.exit_code == 0, recorded.output
    assert tenant.client_secret.encode() not in tape.read_bytes()
    assert not JWT.search(tape.read_bytes())
    replayed = CliRunner().invoke(cli, ["snapshot", "--replay", str(tape), "--out",
                                        str(tmp_path / "replayed")])
    assert replayed.exit_code == 0, replayed.output
    live, again = Path(recorded.stdout.strip()), Path(replayed.stdout.strip())
    assert live.name == again.name
    assert kris_json(live)["kris"] == kris_json(again)["kris"]
