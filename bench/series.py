"""A year of daily snapshots from one real capture, cheaply, for the trend benchmark.

Day k (0 = oldest) is the captured snapshot moved back `days - 1 - k` days: its
`captured_at` and `snapshot_id` shift, the two windowed collections (sign_ins,
directory_audits) are rewritten with their timestamps shifted by as much so that each
day's window holds that day's events, every other file is hard-linked (same bytes, same
SHA-256), and each manifest records the SHA-256 of the one before: the result passes
`entra-kri verify` (entra_kri/snapshot/chain.py) like a real history.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from entra_kri.snapshotter.writer import CollectionFile

from entra_kri.snapshot.digest import sha256_hex
from entra_kri.snapshot.layout import MANIFEST_FILE, captured_at_text, snapshot_id_for
from entra_kri.snapshot.manifest import manifest_bytes
from entra_kri.snapshot.validate import open_snapshot

SHIFTED = {"sign_ins": "createdDateTime", "directory_audits": "activityDateTime"}
STAMP = "%Y-%m-%dT%H:%M:%S"


def shift_stamp(value: str, delta: timedelta) -> str:
    """A Graph timestamp moved by `delta`, keeping its fractional digits and `Z`."""
    moved = datetime.strptime(value[:19], STAMP) + delta
    return moved.strftime(STAMP) + value[19:]


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _rewrite(source: Path, target: Path, field: str, delta: timedelta) -> dict[str, Any]:
    out = CollectionFile(target)
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            obj = json.loads(line)
            if isinstance(obj.get(field), str):
                obj[field] = shift_stamp(obj[field], delta)
            out.write_page((obj,))
    written = out.close()
    return {"bytes": written.bytes, "sha256": written.sha256}


def make_series(snapshot: Path, root: Path, days: int, tenant_id: str | None = None) -> Path:
    """`days` daily copies of `snapshot` under `root/<tenant_id>/`; returns that directory.

    With `tenant_id`, the copies are of a tenant of that id (their manifests say so), so
    that one capture can stand for a fleet of tenants."""
    base = dict(open_snapshot(snapshot).manifest.document)
    if tenant_id is not None:
        base["tenant_id"] = tenant_id
    tenant_dir = root / base["tenant_id"]
    if tenant_dir.exists():
        shutil.rmtree(tenant_dir)
    tenant_dir.mkdir(parents=True)
    captured = datetime.strptime(base["captured_at"], STAMP + "Z")
    previous: str | None = None
    for k in range(days):
        delta = -timedelta(days=days - 1 - k)
        moment = captured + delta
        day_dir = tenant_dir / snapshot_id_for(moment)
        day_dir.mkdir()
        manifest = {**base, "snapshot_id": snapshot_id_for(moment),
                    "captured_at": captured_at_text(moment), "previous_manifest_sha256": previous,
                    "collections": []}
        for entry in base["collections"]:
            source, target = snapshot / entry["file"], day_dir / entry["file"]
            field = SHIFTED.get(entry["name"])
            if field and entry["outcome"] == "ok":
                entry = {**entry, **_rewrite(source, target, field, delta)}
            else:
                _link(source, target)
            manifest["collections"].append(entry)
        raw = manifest_bytes(manifest)
        (day_dir / MANIFEST_FILE).write_bytes(raw)
        previous = sha256_hex(raw)
    return tenant_dir
