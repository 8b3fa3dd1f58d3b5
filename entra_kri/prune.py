"""Retention: remove old snapshots without breaking the manifest chain.

Each pruned snapshot is first recorded (its id, its manifest's SHA-256 and the
previous manifest's SHA-256) in ROOT/<tenant>/pruned.ndjson, then deleted.
`verify` links the chain through those records, so a snapshot removed by
`prune` is accounted for while one removed by hand is still detected.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from entra_kri.snapshot.layout import MANIFEST_FILE, PRUNED_FILE
from entra_kri.snapshot.tree import snapshot_dirs
from entra_kri.snapshot.validate import read_manifest


@dataclass(frozen=True)
class PrunePlan:
    keep: list[Path]
    prune: list[Path]


def plan_prune(tenant_dir: Path, keep_daily: int, keep_monthly: int) -> PrunePlan:
    """Keep the newest snapshot, the newest of each of the last `keep_daily` days that have
    snapshots, and the newest of each of the last `keep_monthly` months; prune the rest."""
    newest_first = list(reversed(snapshot_dirs(tenant_dir)))
    keep: set[Path] = set(newest_first[:1])
    for width, count in ((8, keep_daily), (6, keep_monthly)):  # YYYYMMDD, YYYYMM
        seen: list[str] = []
        for path in newest_first:
            bucket = path.name[:width]
            if bucket not in seen:
                seen.append(bucket)
                if len(seen) > count:
                    break
                keep.add(path)
    ordered = list(reversed(newest_first))
    return PrunePlan([p for p in ordered if p in keep], [p for p in ordered if p not in keep])


def prune(tenant_dir: Path, plan: PrunePlan) -> None:
    """Record then delete each snapshot of `plan.prune`, oldest first."""
    for path in plan.prune:
        reading, _ = read_manifest(path / MANIFEST_FILE)
        record = {"snapshot_id": path.name,
                  "manifest_sha256": reading.sha256 if reading else None,
                  "previous_manifest_sha256": reading.previous_manifest_sha256 if reading
                  else None,
                  "pruned_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        with (tenant_dir / PRUNED_FILE).open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        shutil.rmtree(path)
