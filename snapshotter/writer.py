"""Writing a snapshot: streamed gzip NDJSON files, committed whole or not at all.

On a local disk the files go to a hidden directory renamed into place when
whole; on an object store, which cannot rename, they go to their final names
and the manifest, written last and create-only, commits the snapshot
(docs/snapshot-format.md, "How a snapshot is committed").

Each collection file has its own writer thread: the capture hands it a whole page
and goes on to request the next one while that page is encoded, compressed and
hashed. At most `PAGES_IN_FLIGHT` pages wait in the hand-off, so memory stays flat
however large the collection, and the file holds the pages in the order given.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import queue
import shutil
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entra_kri.errors import ConfigurationError, SnapshotError
from entra_kri.snapshot.digest import HashingWriter
from entra_kri.snapshot.layout import (
    MANIFEST_FILE,
    PARTIAL_SUFFIX,
    collection_file,
    is_snapshot_id,
    is_tenant_id,
)
from entra_kri.snapshot.leftovers import remove_leftovers
from entra_kri.snapshot.manifest import manifest_bytes, utf8_json
from entra_kri.snapshot.storage import LOCAL, Storage

GZIP_LEVEL = 6  # as small as 9 on Graph's JSON, for a third of the CPU
PAGES_IN_FLIGHT = 2  # pages handed to a writer thread and not yet written

_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
def encode_line(obj: dict[str, Any]) -> bytes:
    """One NDJSON line: compact JSON, UTF-8, as every collection file holds it."""
    return utf8_json(_LINE_ENCODER.encode(obj) + "\n")


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

    def __init__(self, path: Path, storage: Storage = LOCAL, scratch_dir: Path | None = None,
                 ) -> None:
        self.path = path
        self.scratch_dir = scratch_dir or path.parent  # local files of its fan-outs
        self._storage = storage
        self._raw = storage.open_write(path)
        self._theirs = False  # another writer created the file first: never remove it
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
        try:
            self._raw.close()
        except FileExistsError as exc:  # an object store says so only now
            self._theirs = True
            raise another_writer(self.path.parent) from exc
        return WrittenFile(self.path.name, self.items, self._sink.size, self._sink.sha256)

    def discard(self) -> None:
        """Drop what was written, e.g. to capture the collection again another way."""
        self._stop()
        self._release()
        if not self._theirs:
            self._storage.remove(self.path)

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
        """Close the file, whose failure was reported; note if another writer made it."""
        with contextlib.suppress(OSError):
            self._gzip.close()
        try:
            self._raw.close()
        except FileExistsError:
            self._theirs = True
        except OSError:
            pass


class SnapshotWriter:
    """A snapshot under construction, committed by `commit()`, removed by `abort()`.

    On a local disk it is written in `ROOT/<tenant>/.<id>.partial/`; `commit()`
    writes the manifest last and renames the directory into place, so
    `ROOT/<tenant>/<id>/` only ever exists complete. On an object store
    (`storage.commits_by_manifest`) the files go straight to `ROOT/<tenant>/<id>/`
    and `commit()` writes the manifest last, create-only: the snapshot exists once
    its manifest does, and a second writer of the same snapshot is refused.
    `abort()` stops every writer thread and removes what was written.
    Fan-outs spool to local files in `scratch_dir`: the partial directory, or a
    temporary directory when the snapshot goes to an object store.
    """

    def __init__(self, root: Path, tenant_id: str, snapshot_id: str,
                 storage: Storage = LOCAL) -> None:
        if not is_tenant_id(tenant_id) or not is_snapshot_id(snapshot_id):
            raise ConfigurationError(
                f"Cannot write a snapshot {snapshot_id!r} of tenant {tenant_id!r}: the tenant "
                "id must be a GUID and the snapshot id of the form YYYYMMDDTHHMMSSZ.",
                "Give the directory (tenant) ID from the app registration's Overview page.",
            )
        self.storage = storage
        self.tenant_dir = root / tenant_id
        self.final_dir = self.tenant_dir / snapshot_id
        self.partial_dir = (self.final_dir if storage.commits_by_manifest
                            else self.tenant_dir / f".{snapshot_id}{PARTIAL_SUFFIX}")
        committed = self.final_dir / MANIFEST_FILE if storage.commits_by_manifest else None
        if storage.entry(committed or self.final_dir) is not None:
            raise SnapshotError(
                f"A snapshot {snapshot_id} already exists in {self.tenant_dir}.",
                "Snapshots are named by the second they were taken; wait a second and run again.",
            )
        remove_leftovers(self.tenant_dir, storage)
        if storage.commits_by_manifest:
            if storage.entry(self.final_dir) is not None:
                raise another_writer(self.final_dir)
            self.scratch_dir = Path(tempfile.mkdtemp(prefix="entra-kri-capture-"))
        else:
            self.partial_dir.mkdir(parents=True, exist_ok=False)
            self.scratch_dir = self.partial_dir
        self._files: list[CollectionFile] = []

    def open_collection(self, name: str) -> CollectionFile:
        try:
            written = CollectionFile(self.partial_dir / collection_file(name), self.storage,
                                     self.scratch_dir)
        except FileExistsError as exc:
            raise another_writer(self.final_dir) from exc
        self._files.append(written)
        return written

    def commit(self, manifest: Mapping[str, Any]) -> Path:
        try:
            self.storage.create_only(self.partial_dir / MANIFEST_FILE, manifest_bytes(manifest))
        except FileExistsError as exc:
            raise another_writer(self.final_dir) from exc
        if self.storage.commits_by_manifest:
            shutil.rmtree(self.scratch_dir, ignore_errors=True)
        else:
            self.partial_dir.rename(self.final_dir)
        return self.final_dir

    def abort(self) -> None:
        for written in self._files:
            written.discard()
        shutil.rmtree(self.scratch_dir, ignore_errors=True)  # the partial dir on a local disk



def another_writer(snapshot_dir: Path) -> SnapshotError:
    """The refusal of a capture that finds another writer's files in its snapshot."""
    return SnapshotError(
        f"Another capture is writing the snapshot {snapshot_dir}, or one was killed while "
        "writing it: this capture stopped and removed what it wrote, and left the other's "
        "files alone.",
        "Run one capture of a tenant at a time. If none is running, remove the leftovers "
        "with `entra-kri gc ROOT` and capture again.",
    )
