"""Where snapshot bytes come from: the one seam between the format and a file system.

The validator and the manifest reader touch files only through a `Storage`:
look at one entry without following links (`entry`), list a directory
(`list_dir`), open a file for reading (`open_read`), name a file for DuckDB
(`sql_location`) and let a DuckDB connection read such names (`attach_to`).
The snapshot writer and `gc` write through it too:
stream a new file (`open_write`), write a small file only if nothing is there
(`create_only`), remove a file (`remove`), and find and abort the uploads of
writers killed midway (`incomplete_uploads`, `abort_upload`).

`LOCAL` is the local file system; an object store is `ObjectStorage`
(entra_kri/snapshot/object_storage.py), its paths `PurePosixPath`s of keys.
The two commit a snapshot differently (`commits_by_manifest`,
docs/snapshot-format.md, "How a snapshot is committed").
"""

from __future__ import annotations

import io
import os
import stat
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import BinaryIO, Literal, Protocol

import duckdb

Kind = Literal["file", "directory", "symlink", "other"]

# DuckDB expands these in any path it reads; a bracket class makes each one literal.
_GLOB_ESCAPES = str.maketrans({"[": "[[]", "*": "[*]", "?": "[?]"})


@dataclass(frozen=True)
class Entry:
    """What is at a path, links not followed: its kind, size in bytes and when it was last
    written (seconds since the epoch; None where the store does not say, as for an object
    store's directories, which are only prefixes)."""

    kind: Kind
    size: int
    modified: float | None = None


@dataclass(frozen=True)
class IncompleteUpload:
    """A file an object store holds in parts that were never completed (its writer was
    killed midway): invisible to listings, and billed until aborted."""

    path: PurePath
    started: datetime
    upload_id: str


@dataclass(frozen=True)
class Hold:
    """What keeps a store from deleting a file: until when (None: until lifted), and why."""

    until: datetime | None
    why: str


class Storage(Protocol):
    """The file operations of the snapshot format."""

    commits_by_manifest: bool
    """False: a snapshot is written in a hidden directory renamed into place whole (a
    local file system). True: the store has no rename (an object store), so files are
    written at their final names and the manifest, written last with `create_only`,
    is what makes the snapshot exist."""

    def entry(self, path: PurePath) -> Entry | None:
        """What is at `path` (a symlink is reported as such, never followed); None if nothing."""

    def list_dir(self, path: PurePath) -> list[str]:
        """The names in directory `path`, sorted."""

    def open_read(self, path: PurePath) -> BinaryIO:
        """`path` opened for reading bytes; refuses to follow a symlink at `path`."""

    def sql_location(self, path: PurePath) -> str:
        """`path` as DuckDB's readers take it, naming that one file and no other."""

    def attach_to(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let `con` read the files `sql_location` names (call before it reads any)."""

    def open_write(self, path: Path) -> BinaryIO:
        """A new file at `path`, streamed: whole once closed (and on a local disk synced).
        FileExistsError, on opening or at the latest on closing, if something is there:
        two writers never mix their bytes in one file."""

    def create_only(self, path: Path, data: bytes) -> None:
        """Write `data` at `path` whole, only if nothing is there; FileExistsError if
        something is (of two writers racing, exactly one succeeds)."""

    def remove(self, path: Path) -> None:
        """Remove the file, or the empty directory, at `path`; nothing if it is gone."""

    def incomplete_uploads(self, path: Path) -> list[IncompleteUpload]:
        """The uploads under `path` started and never completed (none on a local disk)."""

    def abort_upload(self, upload: IncompleteUpload) -> None:
        """Abort `upload`, dropping its parts."""

    def held(self, path: PurePath, now: datetime) -> Hold | None:
        """What keeps the store itself from deleting the file at `path` at `now` (S3 Object
        Lock, an Azure immutability policy, a legal hold); None when nothing does, as on a
        local disk."""


class _SyncedFile(io.FileIO):
    """A file written to a local disk, flushed to the device when closed."""

    def close(self) -> None:
        if not self.closed:
            os.fsync(self.fileno())
        super().close()


class LocalStorage:
    """The local file system."""

    commits_by_manifest = False

    def entry(self, path: Path) -> Entry | None:
        try:
            info = path.lstat()
        except FileNotFoundError:
            return None
        kind: Kind = ("symlink" if stat.S_ISLNK(info.st_mode) else
                      "directory" if stat.S_ISDIR(info.st_mode) else
                      "file" if stat.S_ISREG(info.st_mode) else "other")
        return Entry(kind, info.st_size, info.st_mtime)

    def list_dir(self, path: Path) -> list[str]:
        return sorted(os.listdir(path))

    def open_read(self, path: Path) -> BinaryIO:
        # O_NOFOLLOW: a link swapped in after `entry` looked is refused, not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        return os.fdopen(fd, "rb")

    def sql_location(self, path: Path) -> str:
        return str(path.absolute()).translate(_GLOB_ESCAPES)

    def attach_to(self, con: duckdb.DuckDBPyConnection) -> None:
        """Nothing to do: DuckDB reads local files itself."""

    def open_write(self, path: Path) -> BinaryIO:
        return io.BufferedWriter(_SyncedFile(path, "xb"))

    def create_only(self, path: Path, data: bytes) -> None:
        out = self.open_write(path)  # FileExistsError here leaves the other's file alone
        try:
            with out:
                out.write(data)
        except BaseException:
            with suppress(OSError):
                path.unlink()
            raise

    def remove(self, path: Path) -> None:
        found = self.entry(path)
        if found is not None and found.kind == "directory":
            path.rmdir()
        else:
            path.unlink(missing_ok=True)

    def incomplete_uploads(self, path: Path) -> list[IncompleteUpload]:
        return []  # a killed writer leaves a short file, which its snapshot's layout names

    def abort_upload(self, upload: IncompleteUpload) -> None:
        raise ValueError(f"{upload.path}: a local file system has no uploads to abort")

    def held(self, path: PurePath, now: datetime) -> Hold | None:
        return None


LOCAL: Storage = LocalStorage()
