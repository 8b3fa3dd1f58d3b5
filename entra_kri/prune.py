"""Retention: remove old snapshots without breaking the manifest chain.

Each pruned snapshot is first recorded (its id, its manifest's SHA-256 and the
previous manifest's SHA-256) in ROOT/<tenant>/pruned.ndjson, then deleted.
`verify` links the chain through those records, so a snapshot removed by
`prune` is accounted for while one removed by hand is still detected.

A snapshot under retention (the configuration's `retention_days`, counted from
its capture) is never pruned, whatever the keep rules say: the plan keeps it
and says why (docs/configuration.md, "Retention").
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from entra_kri.snapshot.layout import MANIFEST_FILE, PRUNED_FILE, captured_moment
from entra_kri.snapshot.retention import Retention
from entra_kri.snapshot.tree import snapshot_dirs
from entra_kri.snapshot.validate import read_manifest


@dataclass(frozen=True)
class PrunePlan:
    keep: list[Path]
    prune: list[Path]
    retained: dict[Path, str] = field(default_factory=dict)
    """The kept snapshots that the keep rules alone would prune, each with why it is kept."""


def plan_prune(tenant_dir: Path, keep_daily: int, keep_monthly: int,
               retention: Retention | None = None, now: datetime | None = None) -> PrunePlan:
    """Keep the newest snapshot, the newest of each of the last `keep_daily` days that have
    snapshots, and the newest of each of the last `keep_monthly` months, and every snapshot
    still under `retention` at `now`; prune the rest."""
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
    moment = now or datetime.now(UTC)
    retained = {path: reason for path in ordered if path not in keep
                and (reason := _under_retention(path, retention, moment))}
    keep.update(retained)
    return PrunePlan([p for p in ordered if p in keep], [p for p in ordered if p not in keep],
                     retained)


def _under_retention(path: Path, retention: Retention | None, now: datetime) -> str | None:
    """Why the snapshot at `path` may not be removed at `now`; None when it may."""
    if retention is None:
        return None
    until = retention.until(captured_moment(path.name))
    if until <= now:
        return None
    return (f"under retention until {until.strftime('%Y-%m-%dT%H:%M:%SZ')} "
            f"({retention.describe()})")


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
