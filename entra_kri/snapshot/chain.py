"""A tenant's snapshots and their chain of manifests (docs/snapshot-format.md).

Each manifest records the SHA-256 of the previous snapshot's manifest; `prune`
records the links of the snapshots it deletes in ROOT/<tenant>/pruned.ndjson.
`verify_tenant` checks every snapshot with the one validator and the chain
through both, so a snapshot removed, inserted, reordered or replaced by hand is
named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import PurePath

from entra_kri.snapshot.layout import (
    MANIFEST_FILE,
    PRUNED_DIR,
    PRUNED_FILE,
    is_sha256,
    is_snapshot_id,
)
from entra_kri.snapshot.roots import storage_of
from entra_kri.snapshot.storage import Storage
from entra_kri.snapshot.tree import snapshot_dirs
from entra_kri.snapshot.validate import Problem, SnapshotCheck, check_snapshot


@dataclass(frozen=True)
class ChainLink:
    """One snapshot's place in the chain: its manifest's SHA-256 and the one it records."""

    snapshot_id: str
    path: PurePath
    manifest_sha256: str | None
    previous_manifest_sha256: str | None
    readable: bool  # False: the manifest could not be read, so its link is unknown


@dataclass
class TenantChain:
    """A tenant's snapshots, oldest first, with the chain head and its problems."""

    tenant_dir: PurePath
    snapshots: list[SnapshotCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def tenant_id(self) -> str:
        return self.tenant_dir.name

    @property
    def head(self) -> str | None:
        """SHA-256 of the newest manifest, or None without snapshots."""
        return self.snapshots[-1].manifest_sha256 if self.snapshots else None

    @property
    def all_problems(self) -> list[Problem]:
        return [p for s in self.snapshots for p in s.problems] + self.problems


def pruned_links(tenant_dir: PurePath, storage: Storage | None = None
                 ) -> tuple[list[ChainLink], list[Problem]]:
    """The chain links `prune` recorded before deleting snapshots, and malformed records:
    the lines of pruned.ndjson, and on an object store the records under pruned/."""
    storage = storage or storage_of(tenant_dir)
    links, problems = [], []
    for path in _pruned_records(tenant_dir, storage):
        found = storage.entry(path)
        if found is None:
            continue
        if found.kind != "file":
            problems.append(Problem(path, f"is a {found.kind}, not a regular file"))
            continue
        with storage.open_read(path) as stream:
            lines = stream.read().decode("utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, start=1):
            link = _pruned_link(tenant_dir, line)
            if link is None:
                problems.append(Problem(path, f"line {number} is not a record of a pruned "
                                              "snapshot (snapshot_id, manifest_sha256, "
                                              "previous_manifest_sha256)"))
            else:
                links.append(link)
    return links, problems


def _pruned_records(tenant_dir: PurePath, storage: Storage) -> list[PurePath]:
    """Where `prune` records what it removed: pruned.ndjson; on an object store, which
    cannot append, also one object per pruned snapshot under pruned/."""
    records = [tenant_dir / PRUNED_FILE]
    folder = tenant_dir / PRUNED_DIR
    if storage.commits_by_manifest and storage.entry(folder) is not None:
        records += [folder / name for name in storage.list_dir(folder)]
    return records


def _pruned_link(tenant_dir: PurePath, line: str) -> ChainLink | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    snapshot_id = record.get("snapshot_id")
    digest, previous = record.get("manifest_sha256"), record.get("previous_manifest_sha256")
    if not is_snapshot_id(snapshot_id) or (digest is not None and not is_sha256(digest)) or (
            previous is not None and not is_sha256(previous)):
        return None
    return ChainLink(snapshot_id, tenant_dir / snapshot_id, digest, previous, digest is not None)


def verify_tenant(tenant_dir: PurePath, storage: Storage | None = None) -> TenantChain:
    """Verify every snapshot of a tenant and the chain of manifests, oldest first.

    Snapshots removed by `prune` stay in the chain through their recorded links.
    """
    chain = TenantChain(tenant_dir)
    chain.snapshots = [check_snapshot(p, storage) for p in snapshot_dirs(tenant_dir, storage)]
    present = {c.path.name for c in chain.snapshots}
    pruned, chain.problems = pruned_links(tenant_dir, storage)
    links = sorted([*(_link_of(c) for c in chain.snapshots),
                    *(link for link in pruned if link.snapshot_id not in present)],
                   key=lambda link: link.snapshot_id)
    position = {link.manifest_sha256: i for i, link in enumerate(links) if link.manifest_sha256}
    previous: ChainLink | None = None
    for index, link in enumerate(links):
        if link.readable:
            recorded = link.previous_manifest_sha256
            problem = _link_problem(link, previous, recorded, position.get(recorded), index)
            if problem:
                chain.problems.append(problem)
        previous = link
    return chain


def _link_of(check: SnapshotCheck) -> ChainLink:
    reading = check.reading
    return ChainLink(check.path.name, check.path, check.manifest_sha256,
                     reading.previous_manifest_sha256 if reading else None,
                     reading is not None and reading.is_object)


def _link_problem(
    link: ChainLink,
    previous: ChainLink | None,
    recorded: str | None,
    recorded_at: int | None,
    index: int,
) -> Problem | None:
    manifest_path = link.path / MANIFEST_FILE
    expected = previous.manifest_sha256 if previous else None
    if recorded == expected:
        return None
    if previous is not None and previous.manifest_sha256 is None:
        return Problem(manifest_path, f"cannot be linked: {previous.snapshot_id}/{MANIFEST_FILE} "
                                      "is missing or unreadable")
    if previous is None:
        return Problem(
            manifest_path,
            f"is the oldest snapshot but records previous_manifest_sha256 {recorded}: "
            "an earlier snapshot was removed",
        )
    if recorded is None:
        return Problem(
            manifest_path,
            f"records no previous manifest, but {previous.snapshot_id} comes before it: "
            f"{previous.snapshot_id} was inserted or back-dated",
        )
    if recorded_at is None:
        return Problem(
            manifest_path,
            f"records previous_manifest_sha256 {recorded}, which matches no manifest of the "
            f"tenant; {previous.snapshot_id}/{MANIFEST_FILE} hashes to {expected}: the snapshot "
            f"before {link.snapshot_id} (after {previous.snapshot_id}) was removed, or "
            f"{previous.snapshot_id} was replaced",
        )
    named = ("a later snapshot" if recorded_at > index
             else "an earlier snapshot, not the one just before it")
    return Problem(
        manifest_path,
        f"records the manifest of {named} as its previous: the chain is out of order "
        f"(snapshots reordered, inserted or back-dated) around {previous.snapshot_id}",
    )
