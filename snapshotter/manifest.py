"""The manifest: what was asked, what Graph answered, and the hash of every file."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from entra_kri.snapshotter.writer import MANIFEST, WrittenFile, sha256_of

from entra_kri import __version__

FORMAT_VERSION = 1
SNAPSHOT_ID = re.compile(r"^\d{8}T\d{6}Z$")


def snapshot_id_for(captured_at: datetime) -> str:
    return captured_at.strftime("%Y%m%dT%H%M%SZ")


def iso_utc(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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


def previous_manifest_sha256(tenant_dir: Path, snapshot_id: str) -> str | None:
    """SHA-256 of the newest complete snapshot's manifest before `snapshot_id`, if any."""
    earlier = sorted(
        p for p in tenant_dir.glob("*/" + MANIFEST)
        if SNAPSHOT_ID.match(p.parent.name) and p.parent.name < snapshot_id
    )
    return sha256_of(earlier[-1]) if earlier else None


def build_manifest(*, tenant_id: str, captured_at: datetime, graph_url: str, login_url: str,
                   previous: str | None, collections: list[CollectionRecord],
                   warnings: list[str]) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "tool_version": __version__,
        "tenant_id": tenant_id,
        "snapshot_id": snapshot_id_for(captured_at),
        "captured_at": iso_utc(captured_at),
        "graph_url": graph_url,
        "login_url": login_url,
        "complete": True,
        "previous_manifest_sha256": previous,
        "collections": [c.as_dict() for c in collections],
        "warnings": warnings,
    }
