"""Verify snapshots against their manifests and each tenant's chain of manifests.

Unlike `open_snapshot`, which stops at the first problem, verification collects
every mismatch so that `entra-kri verify` can list them all, each naming its file.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entra_kri.analysis.snapshot import COLLECTIONS, SUPPORTED_FORMAT_VERSIONS

MANIFEST = "manifest.json"
PRUNED_FILE = "pruned.ndjson"  # written by `entra-kri prune`
SNAPSHOT_ID = re.compile(r"^\d{8}T\d{6}Z$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Problem:
    """One thing that does not match: the file (or directory) and what is wrong."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class SnapshotCheck:
    """The verification of one snapshot directory."""

    path: Path
    manifest_sha256: str | None
    manifest: dict[str, Any] | None
    problems: tuple[Problem, ...]


@dataclass
class TenantChain:
    """A tenant's snapshots, oldest first, with the chain head and its problems."""

    tenant_dir: Path
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


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of the file at `path`."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def is_snapshot_dir(path: Path) -> bool:
    """A directory named like a snapshot id, or holding a manifest."""
    return path.is_dir() and (bool(SNAPSHOT_ID.match(path.name)) or (path / MANIFEST).is_file())


def tenant_dirs(root: Path) -> list[Path]:
    """The tenant directories under `root` (a tenant directory itself is its own only one)."""
    if any(SNAPSHOT_ID.match(p.name) and p.is_dir() for p in root.iterdir()):
        return [root]
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def snapshot_dirs(tenant_dir: Path) -> list[Path]:
    """The snapshot directories of a tenant, oldest first (`.partial` ones are not snapshots)."""
    return sorted(p for p in tenant_dir.iterdir() if p.is_dir() and SNAPSHOT_ID.match(p.name))


def verify_snapshot(path: Path) -> SnapshotCheck:
    """Check one snapshot: manifest readable and consistent, every file's size and SHA-256,
    no file missing, no file the manifest does not list."""
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        return SnapshotCheck(path, None, None, (Problem(manifest_path, "missing"),))
    raw = manifest_path.read_bytes()
    manifest_sha = hashlib.sha256(raw).hexdigest()
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        return SnapshotCheck(
            path, manifest_sha, None, (Problem(manifest_path, f"not valid JSON ({exc})"),)
        )
    if not isinstance(manifest, dict):
        return SnapshotCheck(path, manifest_sha, None, (Problem(manifest_path, "not an object"),))
    problems = list(_manifest_problems(path, manifest))
    listed = {MANIFEST}
    for entry in manifest.get("collections") or []:
        name = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name or Path(name).name != name:
            problems.append(Problem(manifest_path, f"invalid file name {name!r} in collections"))
            continue
        listed.add(name)
        problems.extend(_file_problems(path / name, entry))
    for extra in sorted(p for p in path.iterdir() if p.name not in listed):
        kind = "directory" if extra.is_dir() else "file"
        problems.append(Problem(extra, f"{kind} not listed in the manifest"))
    return SnapshotCheck(path, manifest_sha, manifest, tuple(problems))


def _manifest_problems(path: Path, manifest: dict[str, Any]) -> Iterator[Problem]:
    manifest_path = path / MANIFEST
    version = manifest.get("format_version")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        yield Problem(manifest_path, f"unsupported format_version {version!r}")
    snapshot_id = manifest.get("snapshot_id")
    if snapshot_id != path.name:
        yield Problem(
            manifest_path,
            f"snapshot_id {snapshot_id!r} differs from the directory name {path.name!r} "
            "(renamed or back-dated)",
        )
    captured_at = str(manifest.get("captured_at") or "")
    if re.sub(r"[-:]", "", captured_at) != path.name:
        yield Problem(
            manifest_path,
            f"captured_at {captured_at!r} does not match the directory name {path.name!r} "
            "(renamed or back-dated)",
        )
    if manifest.get("tenant_id") != path.parent.name:
        yield Problem(
            manifest_path,
            f"tenant_id {manifest.get('tenant_id')!r} differs from the tenant directory "
            f"{path.parent.name!r}",
        )
    collections = manifest.get("collections")
    if not isinstance(collections, list):
        yield Problem(manifest_path, "has no list of collections")
        return
    names = {c.get("name") for c in collections if isinstance(c, dict)}
    for name in COLLECTIONS:
        if name not in names:
            yield Problem(manifest_path, f"does not list the collection {name!r}")


def _file_problems(file_path: Path, entry: dict[str, Any]) -> Iterator[Problem]:
    if not file_path.is_file():
        yield Problem(file_path, "listed in the manifest but missing")
        return
    size = file_path.stat().st_size
    if size != entry.get("bytes"):
        yield Problem(file_path, f"{size} bytes, the manifest records {entry.get('bytes')}")
    actual = sha256_file(file_path)
    if actual != str(entry.get("sha256", "")).lower():
        yield Problem(
            file_path, f"SHA-256 {actual} differs from the manifest's {entry.get('sha256')}"
        )


def pruned_links(tenant_dir: Path) -> dict[str, SnapshotCheck]:
    """Snapshot id -> the chain link `prune` recorded before deleting that snapshot."""
    path = tenant_dir / PRUNED_FILE
    if not path.is_file():
        return {}
    links = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and SNAPSHOT_ID.match(str(record.get("snapshot_id"))):
            links[record["snapshot_id"]] = SnapshotCheck(
                tenant_dir / record["snapshot_id"], record.get("manifest_sha256"),
                {"previous_manifest_sha256": record.get("previous_manifest_sha256")}, ())
    return links


def verify_tenant(tenant_dir: Path) -> TenantChain:
    """Verify every snapshot of a tenant and the chain of manifests, oldest first.

    Snapshots removed by `prune` stay in the chain through their recorded links.
    """
    chain = TenantChain(tenant_dir)
    chain.snapshots = [verify_snapshot(p) for p in snapshot_dirs(tenant_dir)]
    present = {c.path.name for c in chain.snapshots}
    pruned = [link for sid, link in pruned_links(tenant_dir).items() if sid not in present]
    links = sorted([*chain.snapshots, *pruned], key=lambda c: c.path.name)
    position = {s.manifest_sha256: i for i, s in enumerate(links) if s.manifest_sha256}
    previous: SnapshotCheck | None = None
    for index, check in enumerate(links):
        if check.manifest is not None:
            recorded = check.manifest.get("previous_manifest_sha256")
            problem = _link_problem(check, previous, recorded, position.get(recorded), index)
            if problem:
                chain.problems.append(problem)
        previous = check
    return chain


def _link_problem(
    check: SnapshotCheck,
    previous: SnapshotCheck | None,
    recorded: Any,
    recorded_at: int | None,
    index: int,
) -> Problem | None:
    manifest_path = check.path / MANIFEST
    expected = previous.manifest_sha256 if previous else None
    if recorded == expected:
        return None
    if previous is not None and previous.manifest_sha256 is None:
        return Problem(
            manifest_path, f"cannot be linked: {previous.path.name}/{MANIFEST} is missing"
        )
    if previous is None:
        return Problem(
            manifest_path,
            f"is the oldest snapshot but records previous_manifest_sha256 {recorded}: "
            "an earlier snapshot was removed",
        )
    if recorded is None:
        return Problem(
            manifest_path,
            f"records no previous manifest, but {previous.path.name} comes before it: "
            f"{previous.path.name} was inserted or back-dated",
        )
    if recorded_at is None:
        return Problem(
            manifest_path,
            f"records previous_manifest_sha256 {recorded}, which matches no manifest of the "
            f"tenant; {previous.path.name}/manifest.json hashes to {expected}: the snapshot "
            f"before {check.path.name} (after {previous.path.name}) was removed, or "
            f"{previous.path.name} was replaced",
        )
    if recorded_at > index:
        named = "a later snapshot"
    else:
        named = "an earlier snapshot, not the one just before it"
    return Problem(
        manifest_path,
        f"records the manifest of {named} as its previous: the chain is out of order "
        f"(snapshots reordered, inserted or back-dated) around {previous.path.name}",
    )
