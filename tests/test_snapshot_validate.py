"""entra_kri.snapshot.validate: a snapshot is verified against its manifest before any KRI."""

import gzip
import hashlib
import json

import pytest
from entra_kri.analysis import compute_kris, open_snapshot

from entra_kri.errors import SnapshotError
from tests.snapshot_builder import build_snapshot, user


def edit_manifest(path, **changes):
    manifest_path = path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest.update(changes)
    manifest_path.write_text(json.dumps(manifest))


def test_valid_snapshot_opens(tmp_path):
    snapshot = open_snapshot(build_snapshot(tmp_path, users=[user("a")]))
    assert snapshot.snapshot_id == "20261127T110644Z"
    assert snapshot.manifest.collection("users").items == 1


def test_tampered_byte_is_refused_naming_the_file(tmp_path):
    """A file whose SHA-256 differs from the manifest is refused (same size, one byte flipped)."""
    path = build_snapshot(tmp_path, users=[user("a")])
    target = path / "users.ndjson.gz"
    data = bytearray(target.read_bytes())
    data[-5] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(SnapshotError, match=r"users\.ndjson\.gz.*SHA-256"):
        compute_kris(path)


def test_changed_size_is_refused_naming_the_file(tmp_path):
    path = build_snapshot(tmp_path, users=[user("a")])
    (path / "sign_ins.ndjson.gz").write_bytes(gzip.compress(b'{"id":"x"}\n', mtime=0))
    with pytest.raises(SnapshotError, match=r"sign_ins\.ndjson\.gz: \d+ bytes, the manifest "
                                            r"records \d+"):
        open_snapshot(path)


def test_missing_file_is_refused_naming_the_file(tmp_path):
    path = build_snapshot(tmp_path)
    (path / "directory_audits.ndjson.gz").unlink()
    with pytest.raises(SnapshotError, match=r"directory_audits\.ndjson\.gz: listed in the "
                                            r"manifest but missing"):
        open_snapshot(path)


def test_incomplete_manifest_is_refused(tmp_path):
    """docs/snapshot-format.md: a snapshot whose manifest says "complete": false gives no KRI."""
    path = build_snapshot(tmp_path, complete=False)
    with pytest.raises(SnapshotError, match=r"manifest\.json: says the snapshot is not complete"):
        open_snapshot(path)


def test_missing_manifest_is_refused(tmp_path):
    path = build_snapshot(tmp_path)
    (path / "manifest.json").unlink()
    with pytest.raises(SnapshotError, match=r"manifest\.json: missing"):
        open_snapshot(path)


def test_unparseable_manifest_is_refused(tmp_path):
    path = build_snapshot(tmp_path)
    (path / "manifest.json").write_text('{"format_version": 1,')
    with pytest.raises(SnapshotError, match=r"manifest\.json: is not valid JSON"):
        open_snapshot(path)


def test_unknown_format_version_is_refused(tmp_path):
    path = build_snapshot(tmp_path, format_version=2)
    with pytest.raises(SnapshotError, match="format_version 2"):
        open_snapshot(path)


def test_partial_directory_is_refused(tmp_path):
    """snapshot-format.md: a directory still being written is named .<snapshot_id>.partial."""
    path = build_snapshot(tmp_path)
    partial = path.with_name(f".{path.name}.partial")
    path.rename(partial)
    with pytest.raises(SnapshotError, match=r"\.partial"):
        open_snapshot(partial)


def test_collection_missing_from_manifest_is_refused(tmp_path):
    path = build_snapshot(tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    collections = [c for c in manifest["collections"] if c["name"] != "group_members"]
    edit_manifest(path, collections=collections)
    with pytest.raises(SnapshotError, match="group_members"):
        open_snapshot(path)


@pytest.mark.parametrize("name", ["users", "directory_roles", "directory_role_members"])
def test_refused_intolerable_collection_is_refused(tmp_path, name):
    """docs/kri.md: "A refused /users or /directoryRoles ... is not tolerated"."""
    path = build_snapshot(tmp_path, refused={name: 403})
    with pytest.raises(SnapshotError, match=f"collection '{name}' with the outcome 'forbidden'"):
        open_snapshot(path)


def test_zero_byte_collection_file_is_refused(tmp_path):
    """snapshot-format.md: collection files are gzip, even an empty one."""
    path = build_snapshot(tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    (path / "sign_ins.ndjson.gz").write_bytes(b"")
    for entry in manifest["collections"]:
        if entry["name"] == "sign_ins":
            entry.update(
                bytes=0,
                sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            )
    edit_manifest(path, collections=manifest["collections"])
    with pytest.raises(SnapshotError, match=r"sign_ins\.ndjson\.gz: is not a gzip stream"):
        open_snapshot(path)


def test_unreadable_collection_content_is_a_snapshot_error(tmp_path):
    """A file that matches its manifest but is not NDJSON gives SnapshotError, not a crash."""
    path = build_snapshot(tmp_path)
    data = gzip.compress(b"this is not json\n", mtime=0)
    (path / "users.ndjson.gz").write_bytes(data)
    manifest = json.loads((path / "manifest.json").read_text())
    for entry in manifest["collections"]:
        if entry["name"] == "users":
            entry.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    edit_manifest(path, collections=manifest["collections"])
    with pytest.raises(SnapshotError, match=r"users\.ndjson\.gz: is not a gzip stream of JSON"):
        compute_kris(path)
