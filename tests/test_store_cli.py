"""`entra-kri snapshot --out …` to Azure Blob (Azurite) and Google Cloud Storage
(tests/gcs_fake.py) as a user runs it: `kri` of the captured snapshot gives the demo's
KRIs, and `verify` catches an object changed afterwards (docs/object-storage.md, "Azure
Blob Storage" and "Google Cloud Storage"). S3's walk-through is the README's test."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from entra_kri.cli import cli
from entra_kri.snapshot.roots import open_root
from fake_graph import allow_loopback
from tests.conftest import DEMO_CASSETTE
from tests.test_replay import DEMO_KRIS


@pytest.fixture(params=["azure", "gcs"])
def store_root(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_root")


@allow_loopback
def test_the_demo_captured_to_a_store_gives_the_demo_kris_and_a_changed_object_is_caught(
        store_root):
    captured = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE),
                                        "--out", store_root],
                                  env={"ENTRA_KRI_CLIENT_SECRET": ""})
    assert captured.exit_code == 0, captured.output
    shown = captured.stdout.strip()
    assert shown.startswith(f"{store_root}/")
    kri = CliRunner().invoke(cli, ["kri", shown, "--format", "json"])
    assert kri.exit_code == 0, kri.output
    assert {k["slug"]: k["value"] for k in json.loads(kri.stdout)["kris"]} == DEMO_KRIS
    assert CliRunner().invoke(cli, ["verify", store_root]).exit_code == 0

    snapshot = open_root(shown)
    users = snapshot.path / "users.ndjson.gz"
    fs = snapshot.storage.fs
    original = fs.cat_file(users.key)
    fs.pipe_file(users.key, original[:-1] + bytes([original[-1] ^ 1]))
    verify = CliRunner().invoke(cli, ["verify", store_root])
    assert verify.exit_code != 0
    assert f"{users}: SHA-256" in verify.output
