"""Snapshot writing (snapshotter/writer.py): deterministic files, complete or absent."""

import gzip
import json

import pytest
from entra_kri.snapshotter.writer import SnapshotWriter, sha256_of

from entra_kri.errors import SnapshotError


def _write(root, snapshot_id, objects):
    writer = SnapshotWriter(root, "tenant", snapshot_id)
    out = writer.open_collection("users")
    for obj in objects:
        out.write(obj)
    return writer, out.close()


def test_same_objects_give_byte_identical_files(tmp_path):
    objects = [{"id": "1", "displayName": "Ünïcode"}, {"id": "2"}]
    _, first = _write(tmp_path / "a", "20261127T000000Z", objects)
    _, second = _write(tmp_path / "b", "20261127T000000Z", objects)
    assert first.sha256 == second.sha256 and first.items == 2


def test_manifest_hash_matches_file_on_disk(tmp_path):
    writer, written = _write(tmp_path, "20261127T000000Z", [{"id": "1"}])
    path = writer.commit({"complete": True})
    assert sha256_of(path / written.file) == written.sha256
    assert (path / written.file).stat().st_size == written.bytes
    lines = gzip.decompress((path / written.file).read_bytes()).decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"id": "1"}]


def test_nothing_is_visible_until_commit(tmp_path):
    writer, _ = _write(tmp_path, "20261127T000000Z", [{"id": "1"}])
    assert not (tmp_path / "tenant" / "20261127T000000Z").exists()
    writer.abort()
    assert list((tmp_path / "tenant").iterdir()) == []


def test_an_existing_snapshot_is_never_overwritten(tmp_path):
    writer, _ = _write(tmp_path, "20261127T000000Z", [])
    writer.commit({})
    with pytest.raises(SnapshotError, match="already exists"):
        SnapshotWriter(tmp_path, "tenant", "20261127T000000Z")


def test_a_lone_surrogate_is_written_as_its_json_escape(tmp_path):
    objects = [{"id": "1", "displayName": "a\ud800b\U0001f600\udfff"}]
    writer, written = _write(tmp_path, "20261127T000000Z", objects)
    line = gzip.decompress((writer.partial_dir / written.file).read_bytes())
    assert line == '{"id":"1","displayName":"a\\ud800b\U0001f600\\udfff"}\n'.encode()
    assert json.loads(line) == objects[0]
