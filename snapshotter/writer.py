"""Writing a snapshot: streamed gzip NDJSON files in a hidden directory, renamed when whole.

Each collection file has its own writer thread: the capture hands it a whole page
and goes on to request the next one while that page is encoded, compressed and
hashed. At most `PAGES_IN_FLIGHT` pages wait in the hand-off, so memory stays flat
however large the collection, and the file holds the pages in the order given.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import queue
import re
import shutil
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from entra_kri.errors import SnapshotError

MANIFEST = "manifest.json"
COLLECTION_SUFFIX = ".ndjson.gz"
GZIP_LEVEL = 6  # as small as 9 on Graph's JSON, for a third of the CPU
PAGES_IN_FLIGHT = 2  # pages handed to a writer thread and not yet written
PARTIAL_SUFFIX = ".partial"
STALE_PARTIAL_AGE = 24 * 3600  # seconds: a killed capture's partial directory is removed
log = logging.getLogger("entra_kri.capture")

_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# A surrogate code point left in a decoded str is a lone one (json pairs the others).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_json(text: str) -> bytes:
    """JSON text as UTF-8, a lone UTF-16 surrogate kept as the escape Graph sent.

    `"\\ud800"` is legal JSON but has no UTF-8 form: it is written back as the
    six-character escape (lower-case hex), so the file stays valid UTF-8 and
    reads back as the same string.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


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


class _HashingWriter:
    """A binary sink that hashes and counts what passes through to the real file."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


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
        self._sink = _HashingWriter(self._raw)
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
        return WrittenFile(self.path.name, self.items, self._sink.size,
                           self._sink.digest.hexdigest())

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
        collection_file = CollectionFile(self.partial_dir / f"{name}{COLLECTION_SUFFIX}")
        self._files.append(collection_file)
        return collection_file

    def commit(self, manifest: dict[str, Any]) -> Path:
        path = self.partial_dir / MANIFEST
        with open_sink(path) as out:
            out.write(utf8_json(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"))
            out.flush()
            os.fsync(out.fileno())
        self.partial_dir.rename(self.final_dir)
        return self.final_dir

    def abort(self) -> None:
        for collection_file in self._files:
            collection_file.discard()
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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
