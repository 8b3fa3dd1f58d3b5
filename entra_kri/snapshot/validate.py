"""The one validator of a snapshot directory, used by `verify` and every reading command.

A snapshot is read only when all of this holds (docs/snapshot-format.md,
"What is verified"):

- the directory is a real directory (no symlink) named by a snapshot id, in a
  directory named by a tenant id (a GUID), and the manifest names both;
- it holds exactly manifest.json and the files the manifest lists, each a regular
  file (no symlink, no extra file or directory);
- manifest.json parses strictly (entra_kri.snapshot.manifest);
- each listed file has the size and SHA-256 the manifest records, and is a gzip
  stream of JSON objects, one per line, as many as the manifest's `items`.

`check_snapshot` collects every problem (for `verify`); `open_snapshot` raises
SnapshotError naming them, or returns a `Snapshot` whose `files` are the only
paths analysis may read.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from types import MappingProxyType

import duckdb

from entra_kri.errors import SnapshotError
from entra_kri.snapshot.digest import HashingWriter, sha256_stream
from entra_kri.snapshot.layout import MANIFEST_FILE, PARTIAL_SUFFIX, is_snapshot_id, is_tenant_id
from entra_kri.snapshot.manifest import (
    CollectionEntry,
    Manifest,
    ManifestReading,
    parse_manifest,
)
from entra_kri.snapshot.roots import storage_of
from entra_kri.snapshot.storage import LOCAL, LocalStorage, Storage

GZIP_MAGIC = b"\x1f\x8b"
_RECAPTURE = "Capture a new snapshot with `entra-kri snapshot`, or restore this one from a copy."
_SHOWN_PROBLEMS = 5
COPY_CHUNK = 1 << 20  # bytes per read when an object is copied to local disk to be checked


@dataclass(frozen=True)
class Problem:
    """One thing that does not match: the file (or directory) and what is wrong."""

    path: PurePath
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Snapshot:
    """A verified snapshot: its directory, its manifest and the verified file of each
    collection (read these paths and no other)."""

    path: PurePath
    manifest: Manifest
    files: Mapping[str, PurePath]
    storage: Storage = field(default=LOCAL, compare=False)

    @property
    def tenant_id(self) -> str:
        return self.manifest.tenant_id

    @property
    def snapshot_id(self) -> str:
        return self.manifest.snapshot_id

    @property
    def captured_at(self) -> str:
        return self.manifest.captured_at

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.manifest.warnings

    @property
    def manifest_path(self) -> PurePath:
        return self.path / MANIFEST_FILE


@dataclass(frozen=True)
class SnapshotCheck:
    """The verification of one snapshot directory: every problem, and the snapshot if none.

    `reading` is what the manifest's bytes gave (None when there were none to read).
    """

    path: PurePath
    reading: ManifestReading | None
    problems: tuple[Problem, ...]
    snapshot: Snapshot | None

    @property
    def manifest(self) -> Manifest | None:
        return self.reading.manifest if self.reading else None

    @property
    def manifest_sha256(self) -> str | None:
        return self.reading.sha256 if self.reading else None


def open_snapshot(path: PurePath | str, storage: Storage | None = None) -> Snapshot:
    """Verify the snapshot at `path`; raise SnapshotError naming every problem."""
    check = check_snapshot(path if isinstance(path, PurePath) else Path(path), storage)
    if check.snapshot is None:
        raise _refusal(check)
    return check.snapshot


def _refusal(check: SnapshotCheck) -> SnapshotError:
    """The SnapshotError for a check with problems."""
    shown = [str(p) for p in check.problems[:_SHOWN_PROBLEMS]]
    more = len(check.problems) - len(shown)
    listing = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    return SnapshotError(
        f"{check.path} is not a snapshot entra-kri can trust, so nothing is read from it: "
        f"{listing}.",
        f"Run `entra-kri verify {check.path}` for every problem. {_RECAPTURE}",
    )


def check_snapshot(path: PurePath, storage: Storage | None = None) -> SnapshotCheck:
    """Check the snapshot directory at `path` against every rule; collect all problems."""
    storage = storage or storage_of(path)
    # To read the names of `path` and its parent (an object key is absolute already).
    here = Path(os.path.abspath(path)) if isinstance(path, Path) else path
    problems = list(_directory_problems(path, here, storage))
    if problems:
        return SnapshotCheck(path, None, tuple(problems), None)
    manifest_path = path / MANIFEST_FILE
    reading, manifest_problems = read_manifest(manifest_path, storage)
    problems += manifest_problems
    manifest = reading.manifest if reading else None
    listed = {MANIFEST_FILE, *(reading.files if reading else ())}
    if manifest is not None:
        problems += _identity_problems(path, here, manifest)
    for name in storage.list_dir(path):
        if name not in listed:
            found = storage.entry(path / name)
            kind = found.kind if found else "entry"
            problems.append(Problem(path / name, f"{kind} not listed in the manifest"))
    files: dict[str, PurePath] = {}
    with _ContentReader() as reader:
        for entry in manifest.collections if manifest else ():
            file_problems = list(_file_problems(path / entry.file, entry, storage, reader))
            problems += file_problems
            if not file_problems:
                files[entry.name] = path / entry.file
    if problems or manifest is None:
        return SnapshotCheck(path, reading, tuple(problems), None)
    snapshot = Snapshot(path, manifest, MappingProxyType(files), storage)
    return SnapshotCheck(path, reading, (), snapshot)


def _directory_problems(path: PurePath, here: PurePath, storage: Storage) -> Iterator[Problem]:
    entry = storage.entry(path)
    if entry is None:
        yield Problem(path, "no such snapshot directory (give ROOT/<tenant_id>/<snapshot_id>)")
    elif entry.kind == "symlink":
        yield Problem(path, "is a symbolic link; a snapshot is read only where it was written "
                            "(copy it instead of linking it)")
    elif entry.kind != "directory":
        yield Problem(path, "is not a snapshot directory (give ROOT/<tenant_id>/<snapshot_id>)")
    elif here.name.endswith(PARTIAL_SUFFIX):
        yield Problem(path, "is a snapshot still being written, or abandoned by a capture that "
                            "failed (its name ends with .partial)")
    elif not is_snapshot_id(here.name):
        yield Problem(path, "is not named by a snapshot id (YYYYMMDDTHHMMSSZ): snapshots are "
                            "read at ROOT/<tenant_id>/<snapshot_id>")
    elif not is_tenant_id(here.parent.name):
        yield Problem(path, f"is in {here.parent.name!r}, which is not a tenant id "
                            "(a GUID): snapshots are read at ROOT/<tenant_id>/<snapshot_id>")


def read_manifest(manifest_path: PurePath, storage: Storage | None = None
                  ) -> tuple[ManifestReading | None, list[Problem]]:
    """Read and parse a manifest.json (a regular file, never a link); its problems."""
    storage = storage or storage_of(manifest_path)
    entry = storage.entry(manifest_path)
    if entry is None:
        return None, [Problem(manifest_path, "missing, so the snapshot is not complete")]
    if entry.kind != "file":
        return None, [Problem(manifest_path, f"is a {entry.kind}, not a regular file")]
    with storage.open_read(manifest_path) as stream:
        raw = stream.read()
    reading = parse_manifest(raw)
    return reading, [Problem(manifest_path, p) for p in reading.problems]


def _identity_problems(path: PurePath, here: PurePath, manifest: Manifest) -> Iterator[Problem]:
    manifest_path = path / MANIFEST_FILE
    if manifest.snapshot_id != here.name:
        yield Problem(manifest_path, f"snapshot_id {manifest.snapshot_id!r} differs from the "
                                     f"directory name {here.name!r} (renamed or back-dated)")
    tenant_dir = here.parent.name
    if manifest.tenant_id != tenant_dir:
        yield Problem(manifest_path, f"tenant_id {manifest.tenant_id!r} differs from the tenant "
                                     f"directory {tenant_dir!r}")


def _file_problems(file_path: PurePath, entry: CollectionEntry, storage: Storage,
                   reader: _ContentReader) -> Iterator[Problem]:
    found = storage.entry(file_path)
    if found is None:
        yield Problem(file_path, "listed in the manifest but missing")
        return
    if found.kind != "file":
        yield Problem(file_path, f"is a {found.kind}, not a regular file")
        return
    if found.size != entry.bytes:
        yield Problem(file_path, f"{found.size} bytes, the manifest records {entry.bytes}: "
                                 "changed or truncated after capture")
        return
    with _hashed(file_path, storage) as (head, digest, local):
        if digest != entry.sha256:
            yield Problem(file_path, f"SHA-256 {digest} differs from the manifest's "
                                     f"{entry.sha256}: changed after capture")
            return
        if head != GZIP_MAGIC:
            yield Problem(file_path, "is not a gzip stream (every collection file is gzip'd "
                                     "NDJSON, even an empty one)")
            return
        problem = reader.problem(local, entry.items, file_path)
    if problem:
        yield Problem(file_path, problem)


@contextmanager
def _hashed(file_path: PurePath, storage: Storage) -> Iterator[tuple[bytes, str, Path]]:
    """The first bytes and the SHA-256 of the file at `file_path`, and a local file holding
    those very bytes for the content check: the file itself on a local disk; from an
    object store a temporary copy written as it is hashed, so the store is read once
    here instead of twice, and the check reads no byte that was not hashed."""
    if isinstance(storage, LocalStorage):
        local = Path(file_path)
        with storage.open_read(local) as stream:
            head = stream.read(len(GZIP_MAGIC))
            digest = sha256_stream(stream, head)
        yield head, digest, local
        return
    with tempfile.TemporaryDirectory(prefix="entra-kri-verify-") as scratch:
        local = Path(scratch) / file_path.name
        with storage.open_read(file_path) as stream, local.open("wb") as out:
            copied = HashingWriter(out)
            shutil.copyfileobj(stream, copied, COPY_CHUNK)
        with local.open("rb") as stream:
            head = stream.read(len(GZIP_MAGIC))
        yield head, copied.sha256, local


class _ContentReader:
    """Checks that a local gzip file holds JSON objects, one per line, streaming.

    DuckDB's reader does it (the one analysis uses, so what passes here is what
    analysis can read), except for a file holding a lone UTF-16 surrogate escape,
    legal JSON that DuckDB refuses (analysis reads such a file through a copy with
    the replacement character): Python's JSON reader checks that one, line by line.
    """

    def __init__(self) -> None:
        self._con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> _ContentReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._con is not None:
            self._con.close()

    def problem(self, path: Path, items: int, shown_as: PurePath) -> str | None:
        """What is wrong with the content of `path`, a message naming it `shown_as`."""
        if self._con is None:
            self._con = duckdb.connect(":memory:")
        try:
            objects, others = self._con.execute(
                "select count(*), count(*) filter (where json_type(json) <> 'OBJECT') "
                "from read_ndjson_objects(?, compression = 'gzip')",
                [LOCAL.sql_location(path)],
            ).fetchone() or (0, 0)
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0].replace(str(path), str(shown_as))
            if "surrogate in string" not in message:
                return f"is not a gzip stream of JSON lines ({message})"
            objects, others, message = self._count_in_python(path)
            if message:
                return f"is not a gzip stream of JSON lines ({message})"
        if others:
            return f"holds {others} line(s) that are JSON but not an object"
        if objects != items:
            return f"holds {objects} object(s), the manifest records {items}"
        return None

    def _count_in_python(self, path: Path) -> tuple[int, int, str | None]:
        objects = others = 0
        try:
            with LOCAL.open_read(path) as raw, gzip.open(raw) as lines:
                for number, line in enumerate(lines, start=1):
                    if not line.strip():
                        continue
                    try:
                        value = json.loads(line)
                    except ValueError as exc:
                        return objects, others, f"line {number}: {exc}"
                    objects += isinstance(value, dict)
                    others += not isinstance(value, dict)
        except (OSError, EOFError) as exc:
            return objects, others, str(exc)
        return objects, others, None
