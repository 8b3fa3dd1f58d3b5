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

from entra_kri.analysis.verify import MANIFEST, PRUNED_FILE, sha256_file, snapshot_dirs


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
        manifest_path = path / MANIFEST
        try:
            previous = json.loads(manifest_path.read_text()).get("previous_manifest_sha256")
            digest = sha256_file(manifest_path)
        except (OSError, ValueError):
            previous, digest = None, None
        record = {"snapshot_id": path.name, "manifest_sha256": digest,
                  "previous_manifest_sha256": previous,
                  "pruned_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        with (tenant_dir / PRUNED_FILE).open("a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        shutil.rmtree(path)
