"""Where snapshots are: ROOT/<tenant_id>/<snapshot_id>/ (docs/snapshot-format.md).

Only names of the format count: a tenant directory is named by a GUID, a snapshot
directory by a snapshot id. A symlink so named is listed, so that the validator
can refuse it by name.
"""

from __future__ import annotations

from pathlib import PurePath

from entra_kri.snapshot.layout import MANIFEST_FILE, is_snapshot_id, is_tenant_id
from entra_kri.snapshot.roots import storage_of
from entra_kri.snapshot.storage import Storage

_LISTED_KINDS = frozenset({"directory", "symlink"})


def is_snapshot_dir(path: PurePath, storage: Storage | None = None) -> bool:
    """A path named like a snapshot id, or holding a manifest (then `verify` checks it)."""
    storage = storage or storage_of(path)
    found = storage.entry(path)
    return found is not None and found.kind in _LISTED_KINDS and (
        is_snapshot_id(path.name) or storage.entry(path / MANIFEST_FILE) is not None)


def tenant_dirs(root: PurePath, storage: Storage | None = None) -> list[PurePath]:
    """The tenant directories under `root`, named by a GUID (a tenant directory itself is
    its own only one)."""
    storage = storage or storage_of(root)
    names = storage.list_dir(root)
    if any(is_snapshot_id(n) and _listed(root / n, storage) for n in names):
        return [root]
    return [root / n for n in names if is_tenant_id(n) and _listed(root / n, storage)]


def snapshot_dirs(tenant_dir: PurePath, storage: Storage | None = None) -> list[PurePath]:
    """The snapshot directories of a tenant, oldest first.

    Not snapshots: `.partial` directories, and on a store where the manifest commits
    a snapshot (an object store), a directory without one: a capture still writing,
    or the leftovers of one killed (docs/snapshot-format.md, "How a snapshot is
    committed"). On a local disk such a directory is listed, so that `verify` names it.
    """
    storage = storage or storage_of(tenant_dir)
    return [tenant_dir / n for n in storage.list_dir(tenant_dir)
            if is_snapshot_id(n) and _listed(tenant_dir / n, storage) and (
                not storage.commits_by_manifest
                or storage.entry(tenant_dir / n / MANIFEST_FILE) is not None)]


def _listed(path: PurePath, storage: Storage) -> bool:
    found = storage.entry(path)
    return found is not None and found.kind in _LISTED_KINDS
