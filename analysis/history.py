"""KRI history of a tenant, cached in ROOT/<tenant_id>/history.duckdb.

The cache holds one row per (snapshot_id, slug, sql_sha256): a KRI value is reused
only while its SQL file is byte-identical and the snapshot's manifest has the same
SHA-256 as when the value was computed. It is derived data: deleting the file
loses nothing, the next run recomputes from the snapshots.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from entra_kri.analysis.compute import compute_kris, kri_sql
from entra_kri.analysis.thresholds import Status, status
from entra_kri.analysis.verify import MANIFEST, snapshot_dirs, tenant_dirs

from entra_kri.errors import ConfigurationError, SnapshotError
from entra_kri.kris import DEFAULT_THRESHOLDS, Threshold, kri_by_slug, selected

log = logging.getLogger("entra_kri.history")

HISTORY_FILE = "history.duckdb"

_SCHEMA = """
create table if not exists kri_history (
    snapshot_id varchar not null,
    slug varchar not null,
    sql_sha256 varchar not null,
    manifest_sha256 varchar not null,
    captured_at varchar not null,
    value double,
    degraded boolean not null,
    warnings varchar[] not null,
    tool_version varchar not null,
    primary key (snapshot_id, slug, sql_sha256)
)
"""


@dataclass(frozen=True)
class TrendPoint:
    """One KRI value of one snapshot, with its status and provenance."""

    snapshot_id: str
    captured_at: str
    slug: str
    value: float | int | None
    status: Status
    degraded: bool
    sql_sha256: str
    tool_version: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "captured_at": self.captured_at,
            "slug": self.slug,
            "value": self.value,
            "status": self.status,
            "degraded": self.degraded,
            "sql_sha256": self.sql_sha256,
            "tool_version": self.tool_version,
        }


@dataclass(frozen=True)
class History:
    """The trend of a tenant's KRIs, oldest snapshot first, and how much was recomputed."""

    tenant_id: str
    slugs: tuple[str, ...]
    points: tuple[TrendPoint, ...]
    computed: int  # (snapshot, KRI) values computed in this run; the rest came from the cache


@dataclass(frozen=True)
class _SnapshotRef:
    path: Path
    snapshot_id: str
    captured_at: str
    manifest_sha256: str


def find_tenant_dir(root: Path, tenant: str | None) -> Path:
    """The tenant directory of `tenant` under `root`; may be left out with one tenant."""
    candidates = tenant_dirs(root)
    if tenant is not None:
        matches = [d for d in candidates if d.name.lower() == tenant.lower()]
        if not matches:
            raise ConfigurationError(
                f"{root} holds no snapshots of tenant {tenant}.",
                f"Use one of: {', '.join(d.name for d in candidates) or 'none'}.",
            )
        return matches[0]
    if len(candidates) != 1:
        raise ConfigurationError(
            f"{root} holds {len(candidates)} tenants.",
            "Choose one with --tenant: " + (", ".join(d.name for d in candidates) or "none"),
        )
    return candidates[0]


def complete_snapshots(
    tenant_dir: Path, since: date | None = None, until: date | None = None
) -> list[_SnapshotRef]:
    """The snapshots of a tenant whose manifest says complete, in [since, until], oldest first."""
    refs = []
    for path in snapshot_dirs(tenant_dir):
        try:
            raw = (path / MANIFEST).read_bytes()
            manifest = json.loads(raw)
        except (OSError, ValueError):
            continue
        if not isinstance(manifest, dict) or manifest.get("complete") is not True:
            continue
        day = date.fromisoformat(str(manifest.get("captured_at", ""))[:10])
        if (since and day < since) or (until and day > until):
            continue
        refs.append(_SnapshotRef(path, path.name, str(manifest["captured_at"]),
                                 hashlib.sha256(raw).hexdigest()))
    return refs


def kri_history(
    root: Path,
    tenant: str | None = None,
    since: date | None = None,
    until: date | None = None,
    slugs: Sequence[str] | None = None,
    skip: Collection[str] = (),
    thresholds: Mapping[str, Threshold] | None = None,
) -> History:
    """The KRI values of every complete snapshot in range, from the cache or computed.

    `skip` names snapshots to leave out (those that do not verify). Statuses are
    judged against `thresholds` (default: docs/kri.md's), never stored in the cache.
    """
    chosen = selected(slugs or None)
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    tenant_dir = find_tenant_dir(root, tenant)
    refs = [r for r in complete_snapshots(tenant_dir, since, until) if r.snapshot_id not in skip]
    hashes = {slug: hashlib.sha256(kri_sql(slug)).hexdigest() for slug in chosen}
    computed = 0
    with _open_cache(tenant_dir / HISTORY_FILE) as con:
        cached = _cached_rows(con, hashes)
        for ref in refs:
            missing = [s for s in chosen
                       if cached.get((ref.snapshot_id, s), {}).get("manifest_sha256")
                       != ref.manifest_sha256]
            if missing:
                for row in _compute(ref, missing):
                    _store(con, row)
                    cached[ref.snapshot_id, row["slug"]] = row
                computed += len(missing)
    points = tuple(
        _point(cached[ref.snapshot_id, slug], limits) for ref in refs for slug in chosen
    )
    return History(tenant_dir.name, chosen, points, computed)


@contextmanager
def _open_cache(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (or create) the history file; a damaged one is derived data: rebuild it.

    Where the cache cannot be written (a read-only archive, a full disk), an in-memory
    one stands in, so every value is computed from its snapshot, with a warning.
    """
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise SnapshotError(
                f"The history cache {path} is in use by another entra-kri process.",
                "Wait for it to finish and run the command again.",
            ) from exc
        con = _rebuilt_or_in_memory(path, exc)
    try:
        con.execute(_SCHEMA)
        yield con
    finally:
        con.close()


def _rebuilt_or_in_memory(path: Path, exc: Exception) -> duckdb.DuckDBPyConnection:
    """A new cache file in place of a damaged one, or, where none can be written (a
    read-only archive, a full disk), an in-memory cache and a warning saying so."""
    if os.access(path.parent, os.W_OK):
        try:
            path.unlink(missing_ok=True)
            return duckdb.connect(str(path))
        except (OSError, duckdb.IOException) as again:
            exc = again
    log.warning("The history cache %s cannot be written (%s): every value is computed "
                "from its snapshot, without caching.", path, str(exc).splitlines()[0])
    return duckdb.connect(":memory:")


def _cached_rows(
    con: duckdb.DuckDBPyConnection, hashes: dict[str, str]
) -> dict[tuple[str, str], dict[str, Any]]:
    cursor = con.execute(
        "select * from kri_history where (slug, sql_sha256) in "
        "(select unnest(?) as slug, unnest(?) as sql_sha256)",
        [list(hashes), list(hashes.values())],
    )
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    return {(r["snapshot_id"], r["slug"]): r for r in rows}


def _compute(ref: _SnapshotRef, slugs: list[str]) -> list[dict[str, Any]]:
    report = compute_kris(ref.path, kris=slugs)
    return [
        {
            "snapshot_id": ref.snapshot_id,
            "slug": kri.slug,
            "sql_sha256": kri.sql_sha256,
            "manifest_sha256": ref.manifest_sha256,
            "captured_at": ref.captured_at,
            "value": kri.value,
            "degraded": kri.degraded,
            "warnings": list(kri.warnings),
            "tool_version": kri.tool_version,
        }
        for kri in report.kris
    ]


def _store(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    con.execute(
        "insert or replace into kri_history by name select "
        + ", ".join(f"${k} as {k}" for k in row),
        row,
    )


def _point(row: dict[str, Any], limits: Mapping[str, Threshold]) -> TrendPoint:
    slug = row["slug"]
    value = row["value"]
    if value is not None and kri_by_slug(slug).unit == "count":
        value = int(value)
    return TrendPoint(
        snapshot_id=row["snapshot_id"],
        captured_at=row["captured_at"],
        slug=slug,
        value=value,
        status=status(value, limits[slug]),
        degraded=bool(row["degraded"]),
        sql_sha256=row["sql_sha256"],
        tool_version=row["tool_version"],
    )
