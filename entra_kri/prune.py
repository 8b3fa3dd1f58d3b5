"""Retention: remove old snapshots without breaking the manifest chain.

Each pruned snapshot is first recorded (its id, its manifest's SHA-256 and the
previous manifest's SHA-256), then deleted: on a local disk as a line of
ROOT/<tenant>/pruned.ndjson; on an object store, which cannot append, as an
object of its own written once, ROOT/<tenant>/pruned/<snapshot_id>.json.
`verify` links the chain through those records, so a snapshot removed by
`prune` is accounted for while one removed by hand is still detected.

A snapshot under retention is never pruned, whatever the keep rules say: under
the configuration's `retention_days` (counted from its capture), or while the
store itself refuses to delete one of its objects (S3 Object Lock, an Azure
immutability policy, a legal hold). The plan keeps it and says why
(docs/configuration.md, "Retention"; docs/object-storage.md, "Retention (S3 Object
Lock)" and "Retention on Azure Blob Storage").
"""

from __future__ import annotations

import json
import shutil
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath

from entra_kri.snapshot.layout import (
    MANIFEST_FILE,
    PRUNED_DIR,
    PRUNED_FILE,
    captured_moment,
)
from entra_kri.snapshot.retention import Retention
from entra_kri.snapshot.storage import LOCAL, Storage
from entra_kri.snapshot.tree import snapshot_dirs
from entra_kri.snapshot.validate import read_manifest

_UTC_TEXT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class PrunePlan:
    keep: list[PurePath]
    prune: list[PurePath]
    retained: dict[PurePath, str] = field(default_factory=dict)
    """The kept snapshots that the keep rules alone would prune, each with why it is kept."""


def plan_prune(tenant_dir: PurePath, keep_daily: int, keep_monthly: int,
               retention: Retention | None = None, now: datetime | None = None,
               storage: Storage = LOCAL) -> PrunePlan:
    """Keep the newest snapshot, the newest of each of the last `keep_daily` days that have
    snapshots, and the newest of each of the last `keep_monthly` months, and every snapshot
    still under retention at `now`; prune the rest."""
    newest_first = list(reversed(snapshot_dirs(tenant_dir, storage)))
    keep: set[PurePath] = set(newest_first[:1])
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
                and (reason := _under_retention(path, retention, moment, storage))}
    keep.update(retained)
    return PrunePlan([p for p in ordered if p in keep], [p for p in ordered if p not in keep],
                     retained)


def _under_retention(path: PurePath, retention: Retention | None, now: datetime,
                     storage: Storage) -> str | None:
    """Why the snapshot at `path` may not be removed at `now`; None when it may."""
    if retention is not None:
        until = retention.until(captured_moment(path.name))
        if until > now:
            return f"under retention until {until.strftime(_UTC_TEXT)} ({retention.describe()})"
    holds = [hold for name in storage.list_dir(path)
             if (hold := storage.held(path / name, now)) is not None]
    if not holds:
        return None
    dated = [hold for hold in holds if hold.until is not None]
    if len(dated) < len(holds):
        return f"under {next(h.why for h in holds if h.until is None)} until it is lifted"
    last = max(dated, key=lambda hold: hold.until)
    return f"under {last.why} until {last.until.astimezone(UTC).strftime(_UTC_TEXT)}"


def prune(tenant_dir: PurePath, plan: PrunePlan, storage: Storage = LOCAL) -> None:
    """Record then delete each snapshot of `plan.prune`, oldest first."""
    for path in plan.prune:
        reading, _ = read_manifest(path / MANIFEST_FILE, storage)
        record = {"snapshot_id": path.name,
                  "manifest_sha256": reading.sha256 if reading else None,
                  "previous_manifest_sha256": reading.previous_manifest_sha256 if reading
                  else None,
                  "pruned_at": datetime.now(UTC).strftime(_UTC_TEXT)}
        line = json.dumps(record) + "\n"
        if not storage.commits_by_manifest:
            with (Path(tenant_dir) / PRUNED_FILE).open("a", encoding="utf-8") as out:
                out.write(line)
            shutil.rmtree(path)
            continue
        # Already there if a prune stopped after recording it: recorded once is enough.
        with suppress(FileExistsError):
            storage.create_only(tenant_dir / PRUNED_DIR / f"{path.name}.json", line.encode())
        # The manifest first: the snapshot is gone at once, never a snapshot missing files.
        storage.remove(path / MANIFEST_FILE)
        for name in storage.list_dir(path):
            storage.remove(path / name)
