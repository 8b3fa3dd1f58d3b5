"""KRI history of a tenant, cached in ROOT/<tenant_id>/history.duckdb (on local disk; for a
root in an object store, in the user's cache directory: `history_file`).

The cache holds one row per (snapshot_id, slug, sql_sha256): a KRI value is reused
only while its SQL file is byte-identical and the snapshot's manifest has the same
SHA-256 as when the value was computed. It is derived data: deleting the file
loses nothing, the next run recomputes from the snapshots.

The cache is not sealed: anyone who can write the snapshot root can edit it. So a
cached value is never presented as verified: `trend` marks the values it took from
the cache, and `check_history` (run by `verify ROOT` and by `report`) recomputes
every cached value from its verified snapshot and names each one that differs.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePath
from typing import Any

import duckdb
from entra_kri.analysis.compute import compute_kris, kri_sql
from entra_kri.analysis.thresholds import Status, status

from entra_kri.errors import ConfigurationError, SnapshotError
from entra_kri.kris import DEFAULT_THRESHOLDS, KRI_SLUGS, Threshold, kri_by_slug, selected
from entra_kri.snapshot.layout import MANIFEST_FILE, captured_at_of, is_snapshot_id
from entra_kri.snapshot.object_storage import ObjectPath
from entra_kri.snapshot.tree import snapshot_dirs, tenant_dirs
from entra_kri.snapshot.validate import Problem, Snapshot, read_manifest

log = logging.getLogger("entra_kri.history")

HISTORY_FILE = "history.duckdb"
# DuckDB names an operating-system failure by the C library's text (strerror), not errno.
_ERRNO_OF_TEXT = {os.strerror(number): number for number in errno.errorcode}
HISTORY_CACHE_DIR = ("entra-kri", "history")  # under $XDG_CACHE_HOME, or ~/.cache

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
    # Taken from the history cache, not recomputed in this run (how, not what: not compared).
    from_cache: bool = field(default=False, compare=False)

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
            "from_cache": self.from_cache,
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
    path: PurePath
    snapshot_id: str
    captured_at: str
    manifest_sha256: str | None  # None: no manifest to read
    problems: tuple[str, ...]  # what is wrong with the manifest (the files are not read)


def find_tenant_dir(root: PurePath, tenant: str | None) -> PurePath:
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
    tenant_dir: PurePath, since: date | None = None, until: date | None = None
) -> list[_SnapshotRef]:
    """The snapshots of a tenant in [since, until] (by their ids), oldest first, each with
    its manifest's SHA-256 and what is wrong with the manifest (strictly parsed)."""
    refs = []
    for path in snapshot_dirs(tenant_dir):
        captured_at = captured_at_of(path.name)
        day = date.fromisoformat(captured_at[:10])
        if (since and day < since) or (until and day > until):
            continue
        reading, problems = read_manifest(path / MANIFEST_FILE)
        refs.append(_SnapshotRef(path, path.name, captured_at,
                                 reading.sha256 if reading else None,
                                 tuple(str(p) for p in problems)))
    return refs


def kri_history(
    root: PurePath,
    tenant: str | None = None,
    since: date | None = None,
    until: date | None = None,
    slugs: Sequence[str] | None = None,
    skip: Collection[str] = (),
    thresholds: Mapping[str, Threshold] | None = None,
    trust_cache: bool = True,
) -> History:
    """The KRI values of every complete snapshot in range, from the cache or computed.

    `skip` names snapshots to leave out (those that do not verify). Statuses are
    judged against `thresholds` (default: docs/kri.md's), never stored in the cache.
    Without `trust_cache` every value is recomputed (and the cache rewritten).
    """
    chosen = selected(slugs or None)
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    tenant_dir = find_tenant_dir(root, tenant)
    refs = [r for r in complete_snapshots(tenant_dir, since, until) if r.snapshot_id not in skip]
    hashes = {slug: hashlib.sha256(kri_sql(slug)).hexdigest() for slug in chosen}
    computed = 0
    for ref in refs:
        if ref.problems:
            raise SnapshotError(
                f"The snapshot {ref.path} does not verify, so the trend stops: "
                f"{'; '.join(ref.problems)}.",
                f"Run `entra-kri verify {root}` for every problem; restore the snapshot from a "
                "copy you trust.",
            )
    fresh: set[tuple[str, str]] = set()
    cache = history_file(tenant_dir)
    with _open_cache(cache) as con:
        cached = _cached_rows(con, hashes) if trust_cache else {}
        for ref in refs:
            missing = [s for s in chosen
                       if cached.get((ref.snapshot_id, s), {}).get("manifest_sha256")
                       != ref.manifest_sha256]
            if missing:
                for row in _compute(ref.path, ref.manifest_sha256, missing):
                    with _written(cache):
                        _store(con, row)
                    cached[ref.snapshot_id, row["slug"]] = row
                    fresh.add((ref.snapshot_id, row["slug"]))
                computed += len(missing)
    points = tuple(
        _point(cached[ref.snapshot_id, slug], limits, (ref.snapshot_id, slug) not in fresh)
        for ref in refs for slug in chosen
    )
    return History(tenant_dir.name, chosen, points, computed)


def check_history(tenant_dir: PurePath, snapshots: Mapping[str, Snapshot]) -> list[Problem]:
    """Recompute every value the tenant's history cache holds for a snapshot of `snapshots`
    (id -> the verified snapshot) with the current SQL, and name each one that differs.

    Rows of other SQL versions are never shown, rows of snapshots not given (removed,
    or not verifying, which `verify` reports itself) cannot be checked, and rows of an
    older manifest are recomputed before use: none of these is checked.
    """
    path = history_file(tenant_dir)
    if not path.is_file():
        return []
    hashes = {slug: hashlib.sha256(kri_sql(slug)).hexdigest() for slug in KRI_SLUGS}
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            rows = list(_cached_rows(con, hashes).values())
    except duckdb.Error:
        return []  # not a cache at all: the next trend rebuilds it, showing nothing from it
    problems = [Problem(path, f"holds a row for {row['snapshot_id']!r}, which is not a "
                              "snapshot id: the cache was edited; delete it to rebuild it")
                for row in rows if not is_snapshot_id(row["snapshot_id"])]
    checkable: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        snapshot = snapshots.get(row["snapshot_id"])
        if snapshot is not None and row["manifest_sha256"] == snapshot.manifest.sha256:
            checkable.setdefault(row["snapshot_id"], []).append(row)
    for snapshot_id, cached in sorted(checkable.items()):
        snapshot = snapshots[snapshot_id]
        actual = {row["slug"]: row for row in _compute(
            snapshot, snapshot.manifest.sha256, [row["slug"] for row in cached])}
        problems += [
            Problem(path, f"{snapshot_id}: the cached {row['slug']} ({_shown(row)}) differs "
                          f"from what its snapshot gives ({_shown(actual[row['slug']])}): the "
                          f"cache was edited; delete {path.name} to rebuild it")
            for row in cached if _shown(row) != _shown(actual[row["slug"]])
            or row["captured_at"] != snapshot.captured_at
        ]
    return problems


def _shown(row: Mapping[str, Any]) -> str:
    """What a trend shows of a cache row: value, degraded flag and warnings."""
    value = row["value"]
    if value is not None and kri_by_slug(row["slug"]).unit == "count":
        value = int(value)
    flag = ", degraded" if row["degraded"] else ""
    warnings = f", warnings {list(row['warnings'])}" if row["warnings"] else ""
    return f"value {value}{flag}{warnings}"


def history_file(tenant_dir: PurePath) -> Path:
    """Where the history cache of the tenant at `tenant_dir` is: beside its snapshots on
    local disk; for an object store, on local disk too, in the user's cache directory
    under a name derived from the tenant directory's URL (docs/object-storage.md). The
    rules of a cached value are the same wherever it is kept."""
    if not isinstance(tenant_dir, ObjectPath):
        return Path(tenant_dir) / HISTORY_FILE
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    name = hashlib.sha256(str(tenant_dir).encode("utf-8")).hexdigest()[:32]
    return cache_home.joinpath(*HISTORY_CACHE_DIR, name, HISTORY_FILE)


@contextmanager
def _open_cache(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open (or create) the history file; a damaged one is derived data: rebuild it.

    Where the cache cannot be written (a read-only archive, a full disk), an in-memory
    one stands in, so every value is computed from its snapshot, with a warning.
    """
    with suppress(OSError):  # where it cannot be made, an in-memory cache stands in
        path.parent.mkdir(parents=True, exist_ok=True)
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
        with _written(path):
            con.execute(_SCHEMA)
        yield con
    finally:
        with _written(path):
            con.close()


@contextmanager
def _written(path: Path) -> Iterator[None]:
    """DuckDB failing to write the cache because the operating system refused (a disk
    that filled up, a directory that turned read-only) raised as that OSError, naming
    the cache: the CLI turns it into its one-paragraph storage error (exit 1)."""
    try:
        yield
    except duckdb.Error as exc:
        text = str(exc).split("\n", 1)[0].rpartition(": ")[2].strip()
        if text not in _ERRNO_OF_TEXT:
            raise
        raise OSError(_ERRNO_OF_TEXT[text], text, str(path)) from exc


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


def _compute(snapshot: PurePath | Snapshot, manifest_sha256: str | None,
             slugs: list[str]) -> list[dict[str, Any]]:
    report = compute_kris(snapshot, kris=slugs)
    return [
        {
            "snapshot_id": report.snapshot_id,
            "slug": kri.slug,
            "sql_sha256": kri.sql_sha256,
            "manifest_sha256": manifest_sha256,
            "captured_at": report.captured_at,
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


def _point(row: dict[str, Any], limits: Mapping[str, Threshold], from_cache: bool) -> TrendPoint:
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
        from_cache=from_cache,
    )
