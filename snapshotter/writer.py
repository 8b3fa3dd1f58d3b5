"""Writing a snapshot: streamed gzip NDJSON files in a hidden directory, renamed when whole.

Each collection file has its own writer thread: the capture hands it a whole page
and goes on to request the next one while that page is encoded, compressed and
hashed. At most `PAGES_IN_FLIGHT` pages wait in the hand-off, so memory stays flat
however large the collection, and the file holds the pages in the order given.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import os
import queue
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from entra_kri.errors import ConfigurationError, SnapshotError
from entra_kri.snapshot.digest import HashingWriter
from entra_kri.snapshot.layout import (
    MANIFEST_FILE,
    PARTIAL_SUFFIX,
    collection_file,
    is_snapshot_id,
    is_tenant_id,
)
from entra_kri.snapshot.manifest import manifest_bytes, utf8_json

GZIP_LEVEL = 6  # as small as 9 on Graph's JSON, for a third of the CPU
PAGES_IN_FLIGHT = 2  # pages handed to a writer thread and not yet written
STALE_PARTIAL_AGE = 24 * 3600  # seconds: a killed capture's partial directory is removed
log = logging.getLogger("entra_kri.capture")

_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
def encode_line(obj: dict[str, Any]) -> bytes:
    """One NDJSON line: compact JSON, UTF-8, as every collection file holds it."""
    return utf8_json(_LINE_ENCODER.encode(obj) + "\n")


def open_sink(path: Path) -> BinaryIO:
    """Where a snapshot file's bytes go: the one place that opens it for writing."""
    return path.open("wb")


@dataclass(frozen=True)
class WrittenFile:
    """What the manifest records of one collection file."""

    file: str
    items: int
    bytes: int
    sha256: str


_DONE = None  # what tells a writer thread that no more pages come


class CollectionFile:
    """One collection's NDJSON, gzip with mtime 0 and no file name (the same objects
    give the same bytes), written page by page by its own thread.

    A failure of the writer thread (a full disk, say) is raised by the next
    `write_page` or by `close`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._raw = open_sink(path)
        self._sink = HashingWriter(self._raw)
        self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._sink, mtime=0,
                                   compresslevel=GZIP_LEVEL)
        self.items = 0
        self._pages: queue.Queue[Sequence[dict[str, Any]] | bytes | None] = queue.Queue(
            PAGES_IN_FLIGHT)
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._write_pages, name=f"write {path.name}",
                                        daemon=True)
        self._thread.start()

    def write_page(self, objects: Sequence[dict[str, Any]]) -> None:
        """Hand a page of objects to the writer thread (waits while it is behind)."""
        self._hand_over(objects, len(objects))

    def write_lines(self, lines: bytes, count: int) -> None:
        """`count` already encoded NDJSON lines (from a spool, say)."""
        self._hand_over(lines, count)

    def close(self) -> WrittenFile:
        self._stop()
        if self._failure is not None:
            self._release()
            raise self._failure
        self._gzip.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        return WrittenFile(self.path.name, self.items, self._sink.size, self._sink.sha256)

    def discard(self) -> None:
        """Drop what was written, e.g. to capture the collection again another way."""
        self._stop()
        self._release()
        self.path.unlink(missing_ok=True)

    def _hand_over(self, page: Sequence[dict[str, Any]] | bytes, count: int) -> None:
        if self._failure is not None:
            raise self._failure
        self.items += count
        self._pages.put(page)

    def _write_pages(self) -> None:
        """The writer thread: encode, compress and hash each page; after a failure, take
        the remaining pages without writing them so that no hand-over blocks."""
        while (page := self._pages.get()) is not _DONE:
            if self._failure is not None:
                continue
            try:
                self._gzip.write(page if isinstance(page, bytes)
                                 else b"".join(map(encode_line, page)))
            except BaseException as exc:  # raised in the capture's thread instead
                self._failure = exc

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._pages.put(_DONE)
            self._thread.join()

    def _release(self) -> None:
        with contextlib.suppress(OSError):  # the file is dropped; its failure was reported
            self._gzip.close()
        self._raw.close()


class SnapshotWriter:
    """A snapshot under construction in `ROOT/<tenant>/.<id>.partial/`.

    `commit()` writes the manifest last and renames the directory into place,
    so `ROOT/<tenant>/<id>/` only ever exists complete; `abort()` stops every
    writer thread and removes the partial directory after a failure.
    """

    def __init__(self, root: Path, tenant_id: str, snapshot_id: str) -> None:
        if not is_tenant_id(tenant_id) or not is_snapshot_id(snapshot_id):
            raise ConfigurationError(
                f"Cannot write a snapshot {snapshot_id!r} of tenant {tenant_id!r}: the tenant "
                "id must be a GUID and the snapshot id of the form YYYYMMDDTHHMMSSZ.",
                "Give the directory (tenant) ID from the app registration's Overview page.",
            )
        self.tenant_dir = root / tenant_id
        self.final_dir = self.tenant_dir / snapshot_id
        self.partial_dir = self.tenant_dir / f".{snapshot_id}{PARTIAL_SUFFIX}"
        if self.final_dir.exists():
            raise SnapshotError(
                f"A snapshot {snapshot_id} already exists in {self.tenant_dir}.",
                "Snapshots are named by the second they were taken; wait a second and run again.",
            )
        remove_stale_partials(self.tenant_dir)
        self.partial_dir.mkdir(parents=True, exist_ok=False)
        self._files: list[CollectionFile] = []

    def open_collection(self, name: str) -> CollectionFile:
        written = CollectionFile(self.partial_dir / collection_file(name))
        self._files.append(written)
        return written

    def commit(self, manifest: Mapping[str, Any]) -> Path:
        path = self.partial_dir / MANIFEST_FILE
        with open_sink(path) as out:
            out.write(manifest_bytes(manifest))
            out.flush()
            os.fsync(out.fileno())
        self.partial_dir.rename(self.final_dir)
        return self.final_dir

    def abort(self) -> None:
        for written in self._files:
            written.discard()
        shutil.rmtree(self.partial_dir, ignore_errors=True)


def remove_stale_partials(tenant_dir: Path, older_than: float = STALE_PARTIAL_AGE) -> None:
    """Remove the partial directories of captures killed outright more than `older_than`
    seconds ago (by their newest file). The caller holds the tenant's lock, so no live
    capture of this tenant writes there; the age spares a capture on another host."""
    for partial in tenant_dir.glob(f".*{PARTIAL_SUFFIX}"):
        if not partial.is_dir() or partial.is_symlink():
            continue
        newest = max(p.lstat().st_mtime for p in (partial, *partial.iterdir()))
        if time.time() - newest > older_than:
            shutil.rmtree(partial, ignore_errors=True)
            log.warning("Removed %s, left by a capture interrupted %s.", partial,
                        datetime.fromtimestamp(newest, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
