"""The manifest: what was asked, what Graph answered, and the hash of every file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from entra_kri.snapshotter.writer import WrittenFile

from entra_kri import __version__
from entra_kri.snapshot.digest import sha256_stream
from entra_kri.snapshot.layout import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    captured_at_text,
    snapshot_id_for,
)
from entra_kri.snapshot.storage import LOCAL, Storage
from entra_kri.snapshot.tree import snapshot_dirs


@dataclass
class CollectionRecord:
    """One collection's entry in the manifest (see docs/snapshot-format.md)."""

    name: str
    url: str
    outcome: str = "ok"
    http_status: int | None = 200
    error: dict[str, str] | None = None
    items: int = 0
    pages: int = 0
    file: str = ""
    bytes: int = 0
    sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def written(self, result: WrittenFile) -> None:
        self.file, self.items = result.file, result.items
        self.bytes, self.sha256 = result.bytes, result.sha256

    def as_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record.update(record.pop("extra"))
        return record


def previous_manifest_sha256(tenant_dir: Path, snapshot_id: str,
                             storage: Storage = LOCAL) -> str | None:
    """SHA-256 of the newest snapshot's manifest before `snapshot_id`, if any."""
    for path in reversed(snapshot_dirs(tenant_dir, storage)):
        found = storage.entry(path / MANIFEST_FILE)
        if path.name < snapshot_id and found is not None and found.kind == "file":
            with storage.open_read(path / MANIFEST_FILE) as manifest:
                return sha256_stream(manifest)
    return None


def build_manifest(*, tenant_id: str, captured_at: datetime, graph_url: str, login_url: str,
                   previous: str | None, collections: list[CollectionRecord],
                   warnings: list[str]) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "tenant_id": tenant_id,
        "snapshot_id": snapshot_id_for(captured_at),
        "captured_at": captured_at_text(captured_at),
        "graph_url": graph_url,
        "login_url": login_url,
        "complete": True,
        "previous_manifest_sha256": previous,
        "collections": [c.as_dict() for c in collections],
        "warnings": warnings,
    }
