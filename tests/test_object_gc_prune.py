"""`entra-kri gc` and `entra-kri prune` on an object-store root, on each local store (S3 on
moto, Azure Blob on Azurite, GCS on tests/gcs_fake.py): each holds the tenant's lease,
removes what it should and leaves a root that verifies (docs/object-storage.md, "Writing
snapshots"; docs/operations.md)."""

from __future__ import annotations

from click.testing import CliRunner

from entra_kri.cli import cli
from entra_kri.lock import LOCK_FILE
from entra_kri.snapshot.layout import MANIFEST_FILE
from entra_kri.snapshot.roots import open_root
from tests.object_store import store, upload
from tests.series_builder import build_series
from tests.snapshot_builder import TENANT_ID


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_gc_removes_a_killed_captures_objects_and_nothing_else(object_root, tmp_path):
    build_series(tmp_path / "local", days=1)
    upload(tmp_path / "local", object_root)
    root = open_root(object_root)
    tenant_dir = root.path / TENANT_ID
    killed = tenant_dir / "20261201T000000Z"  # files of a capture killed before its manifest
    store(object_root).fs.pipe_file((killed / "users.ndjson.gz").key, b"half")

    result = invoke("gc", object_root)

    assert result.exit_code == 0, result.output
    assert f"removed files of an uncommitted snapshot {killed}" in result.stdout
    assert root.storage.entry(killed) is None
    assert root.storage.entry(tenant_dir / LOCK_FILE) is None  # the lease was released
    assert invoke("verify", object_root).exit_code == 0


def test_prune_removes_the_older_snapshot_and_keeps_its_record(object_root, tmp_path):
    snapshots = build_series(tmp_path / "local", days=2)
    upload(tmp_path / "local", object_root)
    root = open_root(object_root)
    tenant_dir, oldest = root.path / TENANT_ID, snapshots[0].name

    result = invoke("prune", object_root, "--keep-daily", "1")

    assert result.exit_code == 0, result.output
    assert f"pruned {tenant_dir / oldest}" in result.stdout
    assert root.storage.entry(tenant_dir / oldest / MANIFEST_FILE) is None
    assert root.storage.list_dir(tenant_dir / "pruned") == [f"{oldest}.json"]
    assert root.storage.entry(tenant_dir / LOCK_FILE) is None
    verified = invoke("verify", object_root)
    assert verified.exit_code == 0, verified.output
