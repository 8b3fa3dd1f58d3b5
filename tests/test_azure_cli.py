"""`entra-kri snapshot --out az://…` as a user runs it, on Azurite: the demo cassette
captured to Azure Blob gives the demo's KRIs, and a blob changed afterwards is caught
(docs/object-storage.md, "Azure Blob Storage")."""

from __future__ import annotations

from click.testing import CliRunner
from entra_kri.analysis.compute import compute_kris

from entra_kri.cli import cli
from entra_kri.snapshot.roots import open_root
from entra_kri.snapshot.validate import check_snapshot, open_snapshot
from tests.conftest import DEMO_CASSETTE
from tests.test_replay import DEMO_KRIS


def test_the_demo_captured_to_azure_gives_the_demo_kris_and_a_changed_blob_is_caught(
        azure_root):
    captured = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE),
                                        "--out", azure_root],
                                  env={"ENTRA_KRI_CLIENT_SECRET": ""})
    assert captured.exit_code == 0, captured.output
    snapshot = open_root(captured.stdout.strip())
    assert str(snapshot.path).startswith(f"{azure_root}/")
    kris = compute_kris(open_snapshot(snapshot.path, snapshot.storage))
    assert {k.slug: k.value for k in kris.kris} == DEMO_KRIS

    users = snapshot.path / "users.ndjson.gz"
    fs = snapshot.storage.fs
    original = fs.cat_file(users.key)
    fs.pipe_file(users.key, original[:-1] + bytes([original[-1] ^ 1]))
    check = check_snapshot(snapshot.path, snapshot.storage)
    assert check.snapshot is None
    assert [p.path for p in check.problems] == [users]
