"""What captures killed midway leave behind, and removing it (`entra-kri gc`).

A killed capture leaves no snapshot (docs/snapshot-format.md, "How a snapshot is
committed") but may leave files: on a local disk its hidden
`ROOT/<tenant>/.<id>.partial/` directory; on an object store the files of
`ROOT/<tenant>/<id>/` without `manifest.json`, and uploads started and never
completed. Nothing reads them (the validator refuses a snapshot without a manifest
and listings skip them); they only take space, so they are removed:
by `entra-kri gc` whatever their age, and by every capture once older than a day.
Either holds the tenant's lock, so no live capture of the tenant writes there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from entra_kri.snapshot.layout import MANIFEST_FILE, PARTIAL_SUFFIX, is_snapshot_id
from entra_kri.snapshot.storage import IncompleteUpload, Storage

ABANDONED_AFTER = 24 * 3600  # seconds: a capture's leftovers this old are its own no longer
log = logging.getLogger("entra_kri.capture")


@dataclass(frozen=True)
class Leftover:
    """A killed capture's snapshot directory (without manifest) or unfinished upload, and
    when it was last written to (seconds since the epoch; None when the store cannot say)."""

    path: Path
    modified: float | None
    upload: IncompleteUpload | None = None

    @property
    def what(self) -> str:
        return "unfinished upload" if self.upload else "files of an uncommitted snapshot"

    def older_than(self, seconds: float, now: float) -> bool:
        return self.modified is None or now - self.modified > seconds


def find_leftovers(tenant_dir: Path, storage: Storage) -> list[Leftover]:
    """The leftovers of killed captures in `tenant_dir`, by path."""
    found = [*_uncommitted_dirs(tenant_dir, storage), *(
        Leftover(upload.path, upload.started.timestamp(), upload)
        for upload in storage.incomplete_uploads(tenant_dir))]
    return sorted(found, key=lambda leftover: str(leftover.path))


def _uncommitted_dirs(tenant_dir: Path, storage: Storage) -> Iterator[Leftover]:
    if storage.entry(tenant_dir) is None:
        return
    for name in storage.list_dir(tenant_dir):
        path = tenant_dir / name
        entry = storage.entry(path)
        if entry is None or entry.kind != "directory":
            continue
        if storage.commits_by_manifest:
            uncommitted = is_snapshot_id(name) and storage.entry(path / MANIFEST_FILE) is None
        else:
            uncommitted = name.startswith(".") and name.endswith(PARTIAL_SUFFIX)
        if uncommitted:
            yield Leftover(path, _newest(path, storage, entry.modified))


def _newest(directory: Path, storage: Storage, own: float | None) -> float | None:
    """When anything in `directory` (or the directory itself) was last written."""
    times = [own] + [found.modified for name in storage.list_dir(directory)
                     if (found := storage.entry(directory / name)) is not None]
    known = [moment for moment in times if moment is not None]
    return max(known) if known else None


def remove_leftover(leftover: Leftover, storage: Storage) -> None:
    """Remove a leftover: abort the upload, or remove the directory and all it holds."""
    if leftover.upload is not None:
        storage.abort_upload(leftover.upload)
    else:
        _remove_tree(leftover.path, storage)


def _remove_tree(path: Path, storage: Storage) -> None:
    found = storage.entry(path)
    if found is not None and found.kind == "directory":
        for name in storage.list_dir(path):
            _remove_tree(path / name, storage)
    storage.remove(path)


def remove_leftovers(tenant_dir: Path, storage: Storage,
                     older_than: float = ABANDONED_AFTER) -> None:
    """Remove the leftovers in `tenant_dir` not written to for `older_than` seconds, each
    with a log line. The caller holds the tenant's lock; the age spares a capture on
    another host that does not see it."""
    now = time.time()
    for leftover in find_leftovers(tenant_dir, storage):
        if leftover.older_than(older_than, now):
            remove_leftover(leftover, storage)
            log.warning("Removed %s, left by a capture interrupted %s.", leftover.path,
                        _moment(leftover.modified))


def _moment(seconds: float | None) -> str:
    if seconds is None:
        return "at an unknown time"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
