"""Open a snapshot directory and check it against its manifest before any KRI."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from entra_kri.errors import SnapshotError

SUPPORTED_FORMAT_VERSIONS = frozenset({1})

# docs/snapshot-format.md: every one of these has a file, even when refused.
COLLECTIONS = (
    "organization",
    "users",
    "directory_roles",
    "directory_role_members",
    "group_members",
    "sign_ins",
    "directory_audits",
    "conditional_access_policies",
    "user_registration_details",
)

# What Conditional Access policies reference (docs/ca-resolver.md). Snapshots taken
# before they were captured lack them: they are verified when listed, and the exact
# coverage KRI treats a missing one as unread (fail-safe, degraded).
OPTIONAL_COLLECTIONS = ("ca_group_members", "authentication_strength_policies",
                        "named_locations")

# docs/kri.md, "When Graph refuses": only these may be refused; anything else means no KRI.
REFUSABLE_COLLECTIONS = frozenset(
    {"sign_ins", "directory_audits", "conditional_access_policies", "user_registration_details",
     *OPTIONAL_COLLECTIONS}
)
REFUSED_OUTCOMES = frozenset({"forbidden", "not_found"})
# Not read because the policies were refused: an empty file, nothing to resolve.
SKIPPED_OUTCOME = "skipped"

_CHUNK = 1 << 20
_RECAPTURE = "Capture a new snapshot with `entra-kri snapshot`, or restore this one from a copy."


@dataclass(frozen=True)
class Snapshot:
    """A verified snapshot: its directory and parsed manifest."""

    path: Path
    manifest: dict[str, Any]

    @property
    def tenant_id(self) -> str:
        return str(self.manifest["tenant_id"])

    @property
    def snapshot_id(self) -> str:
        return str(self.manifest.get("snapshot_id") or self.path.name)

    @property
    def captured_at(self) -> str:
        return str(self.manifest["captured_at"])

    @property
    def warnings(self) -> list[str]:
        return [str(w) for w in self.manifest.get("warnings") or []]

    def collection(self, name: str) -> dict[str, Any]:
        """The manifest entry of collection `name`."""
        for entry in self.manifest["collections"]:
            if entry.get("name") == name:
                return entry
        raise KeyError(name)


def open_snapshot(path: Path | str) -> Snapshot:
    """Read `path`/manifest.json and verify every listed file; raise SnapshotError if not."""
    path = Path(path)
    if path.name.endswith(".partial"):
        raise SnapshotError(
            f"{path} is a snapshot still being written (or abandoned by a capture that "
            "failed): its name ends with .partial.",
            "Give `entra-kri kri` a completed snapshot directory (one named like "
            "20261127T110644Z), or run the capture again.",
        )
    if not path.is_dir():
        raise SnapshotError(
            f"{path} is not a snapshot directory.",
            "Give the path of a snapshot, ROOT/<tenant_id>/<snapshot_id>.",
        )
    manifest = _read_manifest(path / "manifest.json")
    _check_manifest(path, manifest)
    for entry in manifest["collections"]:
        _verify_file(path, entry)
    return Snapshot(path=path, manifest=manifest)


def _read_manifest(manifest_path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(manifest_path.read_bytes())
    except FileNotFoundError:
        raise SnapshotError(
            f"{manifest_path} is missing, so {manifest_path.parent} is not a complete snapshot.",
            _RECAPTURE,
        ) from None
    except (OSError, ValueError) as exc:
        raise SnapshotError(
            f"{manifest_path} cannot be read as JSON ({type(exc).__name__}: {exc}).",
            _RECAPTURE,
        ) from None
    if not isinstance(manifest, dict):
        raise SnapshotError(f"{manifest_path} is not a JSON object.", _RECAPTURE)
    return manifest


def _check_manifest(path: Path, manifest: dict[str, Any]) -> None:
    manifest_path = path / "manifest.json"
    version = manifest.get("format_version")
    if version not in SUPPORTED_FORMAT_VERSIONS:
        raise SnapshotError(
            f"{manifest_path} has format_version {version!r}; this version of entra-kri "
            f"reads format_version {', '.join(map(str, sorted(SUPPORTED_FORMAT_VERSIONS)))}.",
            "Use the entra-kri version that wrote the snapshot, or capture a new one.",
        )
    if manifest.get("complete") is not True:
        raise SnapshotError(
            f"{manifest_path} says the snapshot is not complete (complete = "
            f"{json.dumps(manifest.get('complete'))}): the capture did not finish, so no KRI "
            "is computed from it.",
            _RECAPTURE,
        )
    for key in ("tenant_id", "captured_at"):
        if not isinstance(manifest.get(key), str):
            raise SnapshotError(f"{manifest_path} has no {key}.", _RECAPTURE)
    collections = manifest.get("collections")
    if not isinstance(collections, list) or not all(isinstance(c, dict) for c in collections):
        raise SnapshotError(f"{manifest_path} has no list of collections.", _RECAPTURE)
    by_name = {c.get("name"): c for c in collections}
    for name in (*COLLECTIONS, *OPTIONAL_COLLECTIONS):
        entry = by_name.get(name)
        if entry is None and name in OPTIONAL_COLLECTIONS:
            continue
        if entry is None:
            raise SnapshotError(
                f"{manifest_path} does not list the collection {name!r}, which every "
                "format_version 1 snapshot has.",
                _RECAPTURE,
            )
        outcome = entry.get("outcome")
        if outcome == "ok" or (outcome in REFUSED_OUTCOMES and name in REFUSABLE_COLLECTIONS):
            continue
        if outcome == SKIPPED_OUTCOME and name in OPTIONAL_COLLECTIONS:
            continue
        raise SnapshotError(
            f"{manifest_path} records collection {name!r} with outcome {outcome!r} "
            f"(HTTP {entry.get('http_status')}); only the licence-gated collections "
            f"({', '.join(sorted(REFUSABLE_COLLECTIONS))}) may be refused, so no KRI is "
            "computed from this snapshot.",
            "Fix the app's permissions (Directory.Read.All, User.Read.All) and capture again.",
        )


def _verify_file(path: Path, entry: dict[str, Any]) -> None:
    name = entry.get("file")
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise SnapshotError(
            f"{path / 'manifest.json'} lists collection {entry.get('name')!r} with an invalid "
            f"file name {name!r}.",
            _RECAPTURE,
        )
    file_path = path / name
    if not file_path.is_file():
        raise SnapshotError(
            f"{file_path} is listed in the manifest but missing: the snapshot is incomplete.",
            _RECAPTURE,
        )
    size = file_path.stat().st_size
    if size != entry.get("bytes"):
        raise SnapshotError(
            f"{file_path} has {size} bytes but the manifest records {entry.get('bytes')}: "
            "the file was changed or truncated after capture.",
            _RECAPTURE,
        )
    digest = hashlib.sha256()
    with file_path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != str(entry.get("sha256", "")).lower():
        raise SnapshotError(
            f"{file_path} does not match the SHA-256 recorded in the manifest: the file was "
            "changed after capture.",
            _RECAPTURE,
        )
    if name.endswith(".gz") and size == 0:
        raise SnapshotError(
            f"{file_path} is empty but should be a gzip stream (format_version 1 gzips every "
            "collection file, even an empty one).",
            _RECAPTURE,
        )
