"""Capturing to an object store (moto's S3 in this process, Azurite's Azure Blob): files at
their final names, the manifest last and create-only, a second writer refused, and a killed
capture leaving nothing any command accepts (docs/snapshot-format.md, "How a snapshot is
committed")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from entra_kri.snapshotter import writer as writer_module
from entra_kri.snapshotter.capture import take_snapshot
from entra_kri.snapshotter.writer import SnapshotWriter

from entra_kri.errors import SnapshotError
from entra_kri.snapshot.chain import verify_tenant
from entra_kri.snapshot.layout import snapshot_id_for
from entra_kri.snapshot.leftovers import find_leftovers, remove_leftover
from entra_kri.snapshot.roots import open_root
from entra_kri.snapshot.tree import snapshot_dirs
from entra_kri.snapshot.validate import check_snapshot, open_snapshot
from fake_graph import allow_loopback
from tests.conftest import NOW, connection_to
from tests.object_store import store


def capture_to(fake, tenant, root_text, now=NOW, storage=None):
    """Capture the fake tenant into `root_text` through its storage, as `snapshot` does."""
    root = open_root(root_text)
    connection = connection_to(fake, tenant)
    return take_snapshot(connection.client(tenant.client_secret), connection, root.path, now,
                         timedelta(hours=24), storage=storage or root.storage)


class WriteLog:
    """Wraps a storage, noting each write in order."""

    def __init__(self, inner):
        self.inner, self.writes = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def open_write(self, path):
        self.writes.append(("stream", path.name))
        return self.inner.open_write(path)

    def create_only(self, path, data):
        self.writes.append(("create_only", path.name))
        return self.inner.create_only(path, data)


def test_files_go_to_their_final_names_the_manifest_last_and_the_chain_links_the_next(
        fake, demo_tenant, object_root):
    root = open_root(object_root)
    logged = WriteLog(root.storage)
    first = capture_to(fake, demo_tenant, object_root, storage=logged)
    assert str(first) == f"{object_root}/{demo_tenant.tenant_id}/{snapshot_id_for(NOW)}"
    assert logged.writes[-1] == ("create_only", "manifest.json")
    assert {kind for kind, _ in logged.writes[:-1]} == {"stream"}
    second = capture_to(fake, demo_tenant, object_root, NOW + timedelta(hours=1))
    newer = open_snapshot(second, root.storage).manifest
    assert newer.previous_manifest_sha256 == check_snapshot(first, root.storage).manifest_sha256
    chain = verify_tenant(first.parent, root.storage)
    assert [c.path for c in chain.snapshots] == [first, second] and not chain.all_problems


def test_a_second_writer_of_the_same_snapshot_is_refused_and_the_first_stays_whole(
        fake, demo_tenant, object_root):
    root = open_root(object_root)
    late = SnapshotWriter(root.path, demo_tenant.tenant_id, snapshot_id_for(NOW), root.storage)
    first = capture_to(fake, demo_tenant, object_root)  # wins the race past the start check
    out = late.open_collection("users")
    out.write_page([{"id": "not-the-first-writers"}])
    with pytest.raises(SnapshotError, match="Another capture is writing the snapshot"):
        out.close()  # S3 answers 412 to the create-only PUT
    with pytest.raises(SnapshotError, match="Another capture is writing the snapshot"):
        late.commit({"complete": True})
    late.abort()
    open_snapshot(first, root.storage)  # every file still the first writer's
    with pytest.raises(SnapshotError, match="already exists"):
        SnapshotWriter(root.path, demo_tenant.tenant_id, snapshot_id_for(NOW), root.storage)


def test_create_only_refuses_an_existing_object(object_root):
    root = open_root(object_root)
    path = root.path / "x"
    root.storage.create_only(path, b"first")
    with pytest.raises(FileExistsError):
        root.storage.create_only(path, b"second")
    with root.storage.open_read(path) as read:
        assert read.read() == b"first"


class Killed(BaseException):
    """Stands for kill -9: nothing after it runs, so `abort` is skipped as well."""


def test_a_capture_killed_midway_leaves_nothing_accepted_and_gc_removes_it(
        fake, demo_tenant, object_root, monkeypatch):
    closed = []
    real_close = writer_module.CollectionFile.close

    def close_then_die(self):
        written = real_close(self)
        closed.append(written.file)
        if len(closed) == 3:
            raise Killed
        return written

    monkeypatch.setattr(writer_module.CollectionFile, "close", close_then_die)
    monkeypatch.setattr(SnapshotWriter, "abort", lambda self: None)
    with pytest.raises(Killed):
        capture_to(fake, demo_tenant, object_root)
    root = open_root(object_root)
    tenant_dir = root.path / demo_tenant.tenant_id
    snapshot = tenant_dir / snapshot_id_for(NOW)
    assert set(root.storage.list_dir(snapshot)) >= set(closed)  # files, and no manifest
    with pytest.raises(SnapshotError, match=r"manifest\.json: missing"):
        open_snapshot(snapshot, root.storage)
    assert snapshot_dirs(tenant_dir, root.storage) == []
    with pytest.raises(SnapshotError, match=r"Another capture .* or one was killed"):
        SnapshotWriter(root.path, demo_tenant.tenant_id, snapshot_id_for(NOW), root.storage)
    leftovers = find_leftovers(tenant_dir, root.storage)
    assert [leftover.what for leftover in leftovers] == ["files of an uncommitted snapshot"]
    remove_leftover(leftovers[0], root.storage)
    assert root.storage.entry(tenant_dir) is None


def test_gc_aborts_an_unfinished_multipart_upload(s3_root):
    """S3 keeps (and bills) the parts of an upload never completed; Azure and GCS drop
    theirs by themselves and list none."""
    root = open_root(s3_root)
    tenant_dir = root.path / "tenant"
    bucket, _, prefix = tenant_dir.key.partition("/")
    store(s3_root).fs.call_s3("create_multipart_upload", Bucket=bucket,
                              Key=f"{prefix}/x/users.ndjson.gz")
    (leftover,) = find_leftovers(tenant_dir, root.storage)
    assert leftover.what == "unfinished upload"
    remove_leftover(leftover, root.storage)
    assert root.storage.incomplete_uploads(tenant_dir) == []


def test_config_check_probes_an_object_store_root_and_leaves_nothing(object_root, tmp_path):
    from click.testing import CliRunner

    from entra_kri.cli import cli
    config = tmp_path / "entra-kri.toml"
    config.write_text(f'root = "{object_root}"\n')
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert f"root {object_root} (writable)" in result.stdout
    root = open_root(object_root)
    assert root.storage.entry(root.path) is None  # the probe object was removed


def _run_demo(fake, demo_tenant, root_text, tmp_path):
    """`entra-kri run` of the fake's demo tenant into `root_text`: its CliRunner result."""
    from click.testing import CliRunner

    from entra_kri.cli import cli
    config = tmp_path / "entra-kri.toml"
    config.write_text(f'root = "{root_text}"\n[tenants.demo]\n'
                      f'tenant_id = "{demo_tenant.tenant_id}"\n'
                      f'client_id = "{demo_tenant.client_id}"\n'
                      f'graph_url = "{fake.graph_url}"\nlogin_url = "{fake.login_url}"\n'
                      f'ca_bundle = "{fake.ca_bundle}"\nsecret_env = "SECRET_DEMO"\n')
    env = {"SECRET_DEMO": demo_tenant.client_secret, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    return CliRunner().invoke(cli, ["run", "--tenant", "demo", "--config", str(config)],
                              env=env)


@allow_loopback
def test_run_captures_into_an_object_store_root_and_keeps_its_records_there(
        fake, demo_tenant, s3_root, tmp_path):
    import json

    from click.testing import CliRunner

    from entra_kri.cli import cli
    result = _run_demo(fake, demo_tenant, s3_root, tmp_path)
    assert result.exit_code == 0, result.output
    records = json.loads(CliRunner().invoke(cli, ["runs", s3_root, "--format", "json"]).stdout)
    assert [(r["tenant"], r["outcome"]) for r in records] == [("demo", "ok")]
    root = open_root(s3_root)
    tenant_dir = root.path / demo_tenant.tenant_id
    run_id = records[0]["run_id"]
    assert root.storage.list_dir(tenant_dir / "runs") == [f"{run_id}.1.json", f"{run_id}.2.json"]
    assert root.storage.entry(tenant_dir / ".lock") is None  # the lease was released
    open_snapshot(tenant_dir / records[0]["snapshot_id"], root.storage)


def _refuse_run_records(monkeypatch, error):
    """Make every write of a run record (ROOT/<tenant>/runs/…) fail with `error`."""
    from entra_kri.snapshot.object_storage import ObjectStorage
    create_only = ObjectStorage.create_only

    def refusing(self, path, data):
        if path.parent.name == "runs":
            raise error
        return create_only(self, path, data)
    monkeypatch.setattr(ObjectStorage, "create_only", refusing)


@allow_loopback
def test_a_refused_run_record_names_its_object_in_the_store_and_the_run_goes_on(
        fake, demo_tenant, s3_root, tmp_path, monkeypatch):
    """docs/operations.md, "The run record": on an object store each line is an object
    runs/<run_id>.<line>.json; a refusal names that object, not a runs.ndjson."""
    import errno
    import re
    _refuse_run_records(monkeypatch, PermissionError(errno.EACCES, "Access Denied"))
    result = _run_demo(fake, demo_tenant, s3_root, tmp_path)
    assert result.exit_code == 0, result.output
    assert "runs.ndjson" not in result.stderr
    tenant_url = f"{s3_root}/{demo_tenant.tenant_id}"
    assert re.search(rf"could not be kept: {re.escape(tenant_url)}/runs/[^ /]+\.1\.json",
                     result.stderr), result.stderr
    assert re.search(r"/runs/[^ ]+\.2\.json", result.stderr), result.stderr


@allow_loopback
def test_a_run_record_refused_by_the_store_sdk_is_logged_and_the_run_goes_on(
        fake, demo_tenant, s3_root, tmp_path, monkeypatch):
    """An Azure SDK failure is no OSError: it was raised out of the run, stopping it before
    the capture; it is now one logged paragraph, and the snapshot is still taken."""
    from azure.core.exceptions import ServiceRequestError
    _refuse_run_records(monkeypatch, ServiceRequestError("connection refused"))
    result = _run_demo(fake, demo_tenant, s3_root, tmp_path)
    assert result.exit_code == 0, result.output
    assert "the run record could not be kept" in result.stderr
    assert "Azure Blob endpoint could not be reached" in result.stderr
    root = open_root(s3_root)
    assert snapshot_dirs(root.path / demo_tenant.tenant_id)  # the capture went on
