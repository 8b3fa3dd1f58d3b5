"""Reading snapshots kept in an object store: the demo snapshot, captured to local disk and
copied to a local S3 (moto) or Azure Blob (Azurite), gives the same KRIs, and is verified
like a local one."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
from entra_kri.analysis.compute import compute_kris

from entra_kri.snapshot.roots import open_root
from entra_kri.snapshot.validate import check_snapshot, open_snapshot
from tests.object_store import store, upload
from tests.test_replay import replay


@pytest.fixture(scope="module")
def local_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo cassette replayed once into a local root: ROOT/<tenant>/<snapshot>."""
    return replay(tmp_path_factory.mktemp("demo-root"))


@pytest.fixture
def object_demo(local_demo: Path, object_root: str) -> str:
    """The URL of the demo snapshot copied to the test's bucket or container."""
    upload(local_demo.parent.parent, object_root)
    return f"{object_root}/{local_demo.parent.name}/{local_demo.name}"


def test_the_kris_of_a_snapshot_in_a_store_equal_those_of_its_local_copy(local_demo, object_demo):
    snapshot = open_root(object_demo)
    remote = compute_kris(open_snapshot(snapshot.path, snapshot.storage))
    local = compute_kris(local_demo)
    assert [asdict(k) for k in remote.kris] == [asdict(k) for k in local.kris]
    assert remote.snapshot_id == local.snapshot_id


def test_a_changed_object_is_caught(object_demo):
    snapshot = open_root(object_demo)
    users = snapshot.path / "users.ndjson.gz"
    fs = store(object_demo).fs
    original = fs.cat(str(users))
    fs.pipe(str(users), original[:-1] + bytes([original[-1] ^ 1]))
    check = check_snapshot(snapshot.path, snapshot.storage)
    assert check.snapshot is None
    (problem,) = check.problems
    assert problem.path == users
    assert "differs from the manifest's" in problem.message
    assert str(problem).startswith(f"{object_demo}/users.ndjson.gz: SHA-256 ")


def test_an_object_not_listed_in_the_manifest_is_refused(object_demo):
    snapshot = open_root(object_demo)
    store(object_demo).fs.pipe(f"{snapshot.path}/extra.ndjson.gz", b"")
    check = check_snapshot(snapshot.path, snapshot.storage)
    assert check.snapshot is None
    assert [str(p) for p in check.problems] == [
        f"{snapshot.path}/extra.ndjson.gz: file not listed in the manifest"]


def test_a_snapshot_without_its_manifest_is_never_accepted(object_demo):
    snapshot = open_root(object_demo)
    store(object_demo).fs.rm(f"{snapshot.path}/manifest.json")
    check = check_snapshot(snapshot.path, snapshot.storage)
    assert check.snapshot is None
    assert any("missing, so the snapshot is not complete" in str(p) for p in check.problems)
