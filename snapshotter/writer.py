"""Writing a snapshot: streamed gzip NDJSON files in a hidden directory, renamed when whole."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from entra_kri.errors import SnapshotError

MANIFEST = "manifest.json"
COLLECTION_SUFFIX = ".ndjson.gz"
GZIP_LEVEL = 6  # as small as 9 on Graph's JSON, for a third of the CPU


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


class CollectionFile:
    """One collection's NDJSON, written object by object so memory stays flat.

    gzip with mtime 0 and no file name: the same objects give the same bytes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._raw = path.open("wb")
        self._sink = _HashingWriter(self._raw)
        self._gzip = gzip.GzipFile(filename="", mode="wb", fileobj=self._sink, mtime=0,
                                   compresslevel=GZIP_LEVEL)
        self.items = 0

    def write(self, obj: dict[str, Any]) -> None:
        self.write_line(encode_line(obj))

    def write_line(self, line: bytes) -> None:
        """An already encoded NDJSON line (from a spool, say)."""
        self._gzip.write(line)
        self.items += 1

    def close(self) -> WrittenFile:
        self._gzip.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        return WrittenFile(self.path.name, self.items, self._sink.size,
                           self._sink.digest.hexdigest())

    def discard(self) -> None:
        """Drop what was written, e.g. to capture the collection again another way."""
        self._gzip.close()
        self._raw.close()
        self.path.unlink()


class SnapshotWriter:
    """A snapshot under construction in `ROOT/<tenant>/.<id>.partial/`.

    `commit()` writes the manifest last and renames the directory into place,
    so `ROOT/<tenant>/<id>/` only ever exists complete; `abort()` removes the
    partial directory after a failure.
    """

    def __init__(self, root: Path, tenant_id: str, snapshot_id: str) -> None:
        self.tenant_dir = root / tenant_id
        self.final_dir = self.tenant_dir / snapshot_id
        self.partial_dir = self.tenant_dir / f".{snapshot_id}.partial"
        if self.final_dir.exists():
            raise SnapshotError(
                f"A snapshot {snapshot_id} already exists in {self.tenant_dir}.",
                "Snapshots are named by the second they were taken; wait a second and run again.",
            )
        self.partial_dir.mkdir(parents=True, exist_ok=False)

    def open_collection(self, name: str) -> CollectionFile:
        return CollectionFile(self.partial_dir / f"{name}{COLLECTION_SUFFIX}")

    def commit(self, manifest: dict[str, Any]) -> Path:
        path = self.partial_dir / MANIFEST
        with path.open("wb") as out:
            out.write(utf8_json(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"))
            out.flush()
            os.fsync(out.fileno())
        self.partial_dir.rename(self.final_dir)
        return self.final_dir

    def abort(self) -> None:
        shutil.rmtree(self.partial_dir, ignore_errors=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
