"""Writing outputs: complete files or none, and one paragraph when the disk says no.

A full disk, a quota, a read-only mount or a missing permission is an expected
failure of a scheduled tool, not a bug: `storage_error` turns the OSError into
a `StorageError` naming the path and the fix, and the CLI does so for any such
OSError that reaches it (docs/operations.md, "Full disks and read-only
directories").
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path, PurePath

from entra_kri.errors import EntraKriError
from entra_kri.snapshot.storage import LOCAL, Storage
from entra_kri.snapshot.store_errors import store_error

# The errors a full or read-only file system gives; other OSErrors stay bugs.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES,
                  errno.EPERM, errno.ENOTDIR}


class StorageError(EntraKriError):
    """An output could not be written: no space, read-only, or not allowed."""


def is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


def expected_failure(exc: BaseException) -> EntraKriError | None:
    """`exc` as the one-paragraph error every command gives for it: itself if it is an
    EntraKriError, a full or read-only disk's `storage_error`, an object store's refusal
    (`store_error`); None for anything else, which is a bug."""
    if isinstance(exc, EntraKriError):
        return exc
    if isinstance(exc, OSError) and is_storage_error(exc):
        return storage_error(exc)
    return store_error(exc)


def storage_error(exc: OSError, target: Path | str | None = None) -> StorageError:
    """The one-paragraph error for `exc`, naming `target` (or the path the error names)."""
    where = target or exc.filename
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        fix = "Free some space (or raise the quota) on that file system, or write elsewhere."
    elif exc.errno == errno.EROFS:
        fix = "That file system is mounted read-only: write elsewhere."
    elif exc.errno == errno.ENOTDIR:
        fix = "A part of that path is a file, not a directory: fix the path."
    else:
        fix = "This account may not use that path: fix its permissions or choose another."
    reason = f"{exc.strerror or exc} (errno {exc.errno})"
    return StorageError(f"{where}: {reason}." if where else
                        f"A file could not be written: {reason}.", fix)


def check_writable(directory: PurePath, storage: Storage = LOCAL) -> None:
    """StorageError unless a file can be created in `directory` (or, if it does not exist
    yet, in its nearest existing parent, where it would be created). In an object store,
    where a prefix needs no parent, a probe object is created under it and removed."""
    if storage.commits_by_manifest:
        probe = directory / f".entra-kri-write-test-{uuid.uuid4().hex}"
        try:
            storage.create_only(probe, b"")
            storage.remove(probe)
        except OSError as exc:
            raise storage_error(exc, directory) from exc
        return
    existing = Path(directory)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    probe = existing / f".entra-kri-write-test-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise storage_error(exc, directory) from exc


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; renamed to `path` only once the block
    succeeds, removed otherwise, so a full disk never leaves a truncated file behind."""
    temporary = path.with_name(f".{uuid.uuid4().hex[:12]}.{path.name}")
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as exc:
        if is_storage_error(exc):
            raise storage_error(exc, path) from exc
        raise
    finally:
        with suppress(FileNotFoundError):
            temporary.unlink()
