"""Snapshot writing (snapshotter/writer.py): deterministic files, complete or absent."""

import errno
import gzip
import hashlib
import io
import json
import threading

import pytest
from entra_kri.snapshotter import writer as writer_module
from entra_kri.snapshotter.writer import PAGES_IN_FLIGHT, SnapshotWriter

from entra_kri.errors import ConfigurationError, SnapshotError
from entra_kri.snapshot.storage import LocalStorage

TENANT = "00000000-0000-0000-0000-000000000000"


def _write(root, snapshot_id, objects):
    writer = SnapshotWriter(root, TENANT, snapshot_id)
    out = writer.open_collection("users")
    out.write_page(objects)
    return writer, out.close()


def test_same_objects_give_byte_identical_files(tmp_path):
    objects = [{"id": "1", "displayName": "Ünïcode"}, {"id": "2"}]
    _, first = _write(tmp_path / "a", "20261127T000000Z", objects)
    _, second = _write(tmp_path / "b", "20261127T000000Z", objects)
    assert first.sha256 == second.sha256 and first.items == 2


def test_manifest_hash_matches_file_on_disk(tmp_path):
    writer, written = _write(tmp_path, "20261127T000000Z", [{"id": "1"}])
    path = writer.commit({"complete": True})
    assert hashlib.sha256((path / written.file).read_bytes()).hexdigest() == written.sha256
    assert (path / written.file).stat().st_size == written.bytes
    lines = gzip.decompress((path / written.file).read_bytes()).decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"id": "1"}]


def test_nothing_is_visible_until_commit(tmp_path):
    writer, _ = _write(tmp_path, "20261127T000000Z", [{"id": "1"}])
    assert not (tmp_path / TENANT / "20261127T000000Z").exists()
    writer.abort()
    assert list((tmp_path / TENANT).iterdir()) == []


def test_an_existing_snapshot_is_never_overwritten(tmp_path):
    writer, _ = _write(tmp_path, "20261127T000000Z", [])
    writer.commit({})
    with pytest.raises(SnapshotError, match="already exists"):
        SnapshotWriter(tmp_path, TENANT, "20261127T000000Z")


def test_a_lone_surrogate_is_written_as_its_json_escape(tmp_path):
    objects = [{"id": "1", "displayName": "a\ud800b\U0001f600\udfff"}]
    writer, written = _write(tmp_path, "20261127T000000Z", objects)
    line = gzip.decompress((writer.partial_dir / written.file).read_bytes())
    assert line == '{"id":"1","displayName":"a\\ud800b\U0001f600\\udfff"}\n'.encode()
    assert json.loads(line) == objects[0]


def test_a_page_is_handed_over_before_it_is_written_and_order_is_kept(tmp_path, monkeypatch):
    release = threading.Event()
    real_encode = writer_module.encode_line

    def slow_encode(obj):
        release.wait(5)
        return real_encode(obj)

    monkeypatch.setattr(writer_module, "encode_line", slow_encode)
    writer = SnapshotWriter(tmp_path, TENANT, "20261127T000000Z")
    out = writer.open_collection("users")
    pages = [[{"id": f"{p}-{i}"} for i in range(3)] for p in range(PAGES_IN_FLIGHT + 2)]
    # The writer thread holds the first page; PAGES_IN_FLIGHT more wait in the hand-off.
    for page in pages[:PAGES_IN_FLIGHT + 1]:
        out.write_page(page)
    blocked = threading.Thread(target=out.write_page, args=(pages[-1],))
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive(), "a hand-off beyond PAGES_IN_FLIGHT pages must wait"
    release.set()
    blocked.join(5)
    written = out.close()
    lines = gzip.decompress((writer.partial_dir / written.file).read_bytes()).splitlines()
    assert [json.loads(line)["id"] for line in lines] == [o["id"] for p in pages for o in p]
    assert written.items == len(lines)


class FullDisk(io.RawIOBase):
    """Takes the gzip header, then fails as a full disk does."""

    written = 0

    def write(self, data):
        if self.written >= 10:  # a gzip header is 10 bytes
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written += len(data)
        return len(data)

    def fileno(self):
        raise OSError("no file")


class FullDiskStorage(LocalStorage):
    def open_write(self, path):
        return FullDisk()


def test_a_write_failure_in_the_writer_thread_is_raised_in_the_capture(tmp_path):
    writer = SnapshotWriter(tmp_path, TENANT, "20261127T000000Z", FullDiskStorage())
    out = writer.open_collection("users")
    with pytest.raises(OSError, match="No space left"):
        for _ in range(50):  # gzip buffers: the sink sees bytes after some pages
            out.write_page([{"id": "x" * 1000, "n": n} for n in range(2000)])
        out.close()
    writer.abort()
    assert not out._thread.is_alive()
    assert not writer.partial_dir.exists()


def test_abort_stops_the_writer_threads_of_unfinished_files(tmp_path):
    writer = SnapshotWriter(tmp_path, TENANT, "20261127T000000Z")
    out = writer.open_collection("users")
    out.write_page([{"id": "1"}])
    writer.abort()
    assert not out._thread.is_alive()
    assert list((tmp_path / TENANT).iterdir()) == []


def test_partials_of_captures_killed_over_a_day_ago_are_cleaned_on_the_next_run(tmp_path,
                                                                                 caplog):
    """A capture killed outright leaves `.<id>.partial/`; the next capture of the tenant
    (under its lock) removes those older than a day, with a log line, and no other."""
    import logging
    import os
    import time

    tenant_dir = tmp_path / TENANT
    old = tenant_dir / ".20261101T000000Z.partial"
    young = tenant_dir / ".20261127T000000Z.partial"
    for partial, age in ((old, 2 * 86400), (young, 3600)):
        partial.mkdir(parents=True)
        (partial / "users.ndjson.gz").write_bytes(b"half")
        moment = time.time() - age
        for path in (partial / "users.ndjson.gz", partial):
            os.utime(path, (moment, moment))
    with caplog.at_level(logging.INFO):
        writer, _ = _write(tmp_path, "20261128T000000Z", [{"id": "1"}])
    writer.abort()
    assert not old.exists() and young.exists()
    assert f"Removed {old}" in caplog.text


@pytest.mark.parametrize("tenant_id", ["x';\n.shell touch PWNED\n--", "../elsewhere", ""])
def test_a_tenant_id_that_is_not_a_guid_writes_nothing(tmp_path, tenant_id):
    with pytest.raises(ConfigurationError, match="must be a GUID"):
        SnapshotWriter(tmp_path, tenant_id, "20261127T000000Z")
    assert list(tmp_path.iterdir()) == []
