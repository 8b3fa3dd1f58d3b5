"""Export verified snapshots into a Parquet lake that DuckDB and Spark both read.

Layout (docs/lake.md):

    LAKE/<dataset>/tenant_id=<tenant id>/month=<YYYY-MM>/data.parquet

`kri_values` holds one row per (snapshot, KRI); every staging table the KRIs read
(`stg_users`, `stg_registration`, ...) is a dataset of its own. Partitions are per
tenant and month, not per day, so a fleet of 100 tenants captured daily for a
quarter is 300 files per dataset rather than 9,000. A month's file is rewritten
when a snapshot of that month is added: its existing rows are kept, the new
snapshot's rows appended, and the new file renamed over the old one, so a reader
sees the old file or the new one, never half of one. `kri_values` is written last
and is the record of what the lake holds: a snapshot is in the lake when its rows
are there, and every row carries the SHA-256 of the manifest it came from.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

import duckdb
from entra_kri.analysis.compute import compute_one, connect

from entra_kri.errors import LakeError, SnapshotError
from entra_kri.kris import DEFAULT_THRESHOLDS, KRI_SLUGS
from entra_kri.snapshot.layout import MANIFEST_FILE
from entra_kri.snapshot.roots import open_root
from entra_kri.snapshot.tree import snapshot_dirs, tenant_dirs
from entra_kri.snapshot.validate import Problem, Snapshot, open_snapshot, read_manifest

KRI_DATASET = "kri_values"
DATA_FILE = "data.parquet"
PARTITION_COLUMNS = ("tenant_id", "month")
# Every row of every dataset says which snapshot it comes from.
PROVENANCE_COLUMNS = {
    "snapshot_id": "varchar",
    "captured_at": "timestamptz",
    "manifest_sha256": "varchar",
}
KRI_VALUE_COLUMNS = {
    **PROVENANCE_COLUMNS,
    "slug": "varchar",
    "value": "double",
    "degraded": "boolean",
    "warnings": "varchar[]",
    "sql_sha256": "varchar",
    "tool_version": "varchar",
}


@dataclass
class TenantExport:
    """What one export did for one tenant directory of the snapshot root."""

    tenant_dir: PurePath
    exported: list[str] = field(default_factory=list)  # snapshot ids added to the lake
    present: int = 0  # snapshots already in the lake from the same manifest
    problems: list[Problem] = field(default_factory=list)  # not exported, and why


@dataclass(frozen=True)
class _Candidate:
    """A snapshot the lake lacks, with its manifest's SHA-256 when the lake was compared."""

    path: PurePath
    tenant_id: str
    manifest_sha256: str

    def __reduce__(self) -> tuple[Any, ...]:
        # Sent to a --jobs worker by its location as text (an object's URL): a path in a
        # store holds the store's client, which does not pickle, and the store's
        # credentials must come from the worker's environment, never through a pipe.
        return _candidate_at, (str(self.path), self.tenant_id, self.manifest_sha256)


def _candidate_at(location: str, tenant_id: str, manifest_sha256: str) -> _Candidate:
    """A candidate received by a worker: its snapshot reopened where `location` says."""
    return _Candidate(open_root(location).path, tenant_id, manifest_sha256)


@dataclass(frozen=True)
class _Pending:
    """A verified snapshot whose rows wait in the scratch directory to be committed."""

    tenant_id: str
    month: str
    snapshot_id: str
    scratch: Path


def export_lake(root: PurePath, lake: Path, jobs: int = 1) -> Iterator[TenantExport]:
    """Export every verified snapshot under `root` (a local directory, or a path in an
    object store from `open_root`) that `lake` does not hold yet, and
    yield what was done for each tenant once its rows are committed. A snapshot that
    fails verification, or whose manifest no longer matches the rows the lake holds
    for it, is reported in `problems` and not exported.

    With `jobs` > 1, that many processes verify snapshots and compute their rows at
    once (across tenants, a few snapshots ahead of the commits); the commits stay in
    this process, in order."""
    lake.mkdir(parents=True, exist_ok=True)
    scans = [_compare_tenant(tenant_dir, lake) for tenant_dir in tenant_dirs(root)]
    with tempfile.TemporaryDirectory(prefix="entra-kri-lake-") as scratch, \
            _stager(jobs) as stage:
        outcomes = stage((candidate, Path(scratch)) for _, candidates in scans
                         for candidate in candidates)
        for result, candidates in scans:
            pending: list[_Pending] = []
            for candidate in candidates:
                outcome = next(outcomes)
                if isinstance(outcome, str):
                    result.problems.append(Problem(candidate.path, outcome))
                else:
                    pending.append(outcome)
                    result.exported.append(candidate.path.name)
            _commit(lake, pending)
            yield result


def _compare_tenant(tenant_dir: PurePath, lake: Path) -> tuple[TenantExport, list[_Candidate]]:
    """What the lake lacks of a tenant directory's snapshots, and what does not match."""
    result = TenantExport(tenant_dir)
    candidates: list[_Candidate] = []
    in_lake: dict[str, dict[str, str]] = {}
    for path in snapshot_dirs(tenant_dir):
        reading, problems = read_manifest(path / MANIFEST_FILE)
        if reading is None or reading.manifest is None:
            result.problems.append(Problem(path, "; ".join(str(p) for p in problems)))
            continue
        # A tenant id becomes a directory name: the format guarantees a GUID.
        tenant_id, manifest_sha = reading.manifest.tenant_id, reading.sha256
        exported = in_lake.setdefault(tenant_id, exported_snapshots(lake, tenant_id))
        if path.name not in exported:
            candidates.append(_Candidate(path, tenant_id, manifest_sha))
        elif exported[path.name] == manifest_sha:
            result.present += 1
        else:
            result.problems.append(Problem(path, (
                f"the lake holds this snapshot's rows from a manifest with SHA-256 "
                f"{exported[path.name]}, but its manifest.json now has SHA-256 "
                f"{manifest_sha}: the snapshot changed after it was exported. Run "
                "`entra-kri verify` on it; the lake keeps the rows it has.")))
    return result, candidates


Stage = Callable[[Iterable[tuple[_Candidate, Path]]], Iterator["_Pending | str"]]


@contextmanager
def _stager(jobs: int) -> Iterator[Stage]:
    """A function from (candidate, scratch) pairs to their outcomes, in order: computed
    here with one job, else by `jobs` processes at most 2 * `jobs` snapshots ahead."""
    if jobs <= 1:
        yield lambda items: (_verify_and_stage(*item) for item in items)
        return
    context = multiprocessing.get_context("spawn")  # no DuckDB state forked mid-flight
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:

        def stage(items: Iterable[tuple[_Candidate, Path]]) -> Iterator[_Pending | str]:
            window: deque[Future[_Pending | str]] = deque()
            for item in items:
                window.append(pool.submit(_verify_and_stage, *item))
                if len(window) >= 2 * jobs:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()

        yield stage


def _verify_and_stage(candidate: _Candidate, scratch: Path) -> _Pending | str:
    """Verify a snapshot and write its rows to scratch; the SnapshotError message if it
    does not verify (or its manifest changed since the lake was compared)."""
    try:
        snapshot = open_snapshot(candidate.path)
        if snapshot.manifest.sha256 != candidate.manifest_sha256:
            raise SnapshotError(
                f"{candidate.path / MANIFEST_FILE} changed while it was being read.")
        return _stage_snapshot(snapshot, candidate.tenant_id, candidate.manifest_sha256,
                               scratch / candidate.tenant_id)
    except SnapshotError as exc:
        return exc.message


def _commit(lake: Path, pending: list[_Pending]) -> None:
    """Commit staged snapshots month by month, then free their scratch space."""
    by_partition: dict[tuple[str, str], list[_Pending]] = defaultdict(list)
    for item in pending:
        by_partition[(item.tenant_id, item.month)].append(item)
    for (tenant_id, month), items in sorted(by_partition.items()):
        _commit_partition(lake, tenant_id, month, items)
    for item in pending:
        shutil.rmtree(item.scratch, ignore_errors=True)


def month_of(captured_at: str) -> str:
    """The UTC month (YYYY-MM) of a manifest's captured_at: the lake's partition."""
    moment = datetime.fromisoformat(captured_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m")


def partition_dir(lake: Path, dataset: str, tenant_id: str, month: str) -> Path:
    """LAKE/<dataset>/tenant_id=<tenant_id>/month=<month>."""
    return lake / dataset / f"tenant_id={tenant_id}" / f"month={month}"


def exported_snapshots(lake: Path, tenant_id: str) -> dict[str, str]:
    """The snapshots of `tenant_id` in the lake: snapshot id -> its manifest's SHA-256."""
    files = sorted((lake / KRI_DATASET / f"tenant_id={tenant_id}").glob(f"month=*/{DATA_FILE}"))
    if not files:
        return {}
    with duckdb.connect(":memory:") as con:
        try:
            rows = con.execute(
                "select distinct snapshot_id, manifest_sha256 from read_parquet(?, "
                "hive_partitioning = false)", [[str(f) for f in files]]).fetchall()
        except duckdb.Error as exc:
            raise unreadable_lake(lake, exc) from exc
    return dict(rows)


def unreadable_lake(lake: Path, exc: duckdb.Error) -> LakeError:
    """The one-paragraph error for a lake whose files DuckDB cannot read."""
    return LakeError(
        f"The lake {lake} could not be read: {str(exc).splitlines()[0]}",
        "Its files are written only by `entra-kri lake export`; one was changed or "
        "damaged. Export the snapshots again into a new folder "
        "(`entra-kri lake export ROOT --to NEW_LAKE`) and use that one.")


def _stage_snapshot(snapshot: Snapshot, tenant_id: str, manifest_sha: str,
                    scratch: Path) -> _Pending:
    """Compute the KRIs of a verified snapshot and write its rows of every dataset to
    scratch/<snapshot id>/<dataset>.parquet."""
    out = scratch / snapshot.snapshot_id
    out.mkdir(parents=True, exist_ok=True)
    with connect(snapshot) as con:
        con.execute("create temp table provenance as select ? as snapshot_id, "
                    "cast(? as timestamptz) as captured_at, ? as manifest_sha256",
                    [snapshot.snapshot_id, snapshot.captured_at, manifest_sha])
        for table in _staging_tables(con):
            _copy(con, _staged_rows(con, table), out / f"{table}.parquet")
        kris = [compute_one(con, snapshot, slug, DEFAULT_THRESHOLDS[slug]) for slug in KRI_SLUGS]
        con.execute("create temp table kri_rows (slug varchar, value double, degraded boolean, "
                    "warnings varchar[], sql_sha256 varchar, tool_version varchar)")
        con.executemany("insert into kri_rows values (?, ?, ?, ?, ?, ?)", [
            [k.slug, k.value, k.degraded, list(k.warnings), k.sql_sha256, k.tool_version]
            for k in kris])
        _copy(con, f"select {', '.join(KRI_VALUE_COLUMNS)} from kri_rows cross join provenance",
              out / f"{KRI_DATASET}.parquet")
    return _Pending(tenant_id, month_of(snapshot.captured_at), snapshot.snapshot_id, out)


def _staging_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute("select table_name from duckdb_tables() "
                       "where not temporary and table_name like 'stg\\_%' escape '\\' "
                       "order by table_name").fetchall()
    return [name for (name,) in rows]


def _staged_rows(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A select of `table` with the provenance columns first. A column that would clash
    with the partition or provenance columns is left out (the manifest's own tenant id,
    snapshot id and captured_at are what the provenance holds); JSON becomes text,
    which every Parquet reader knows."""
    reserved = {*PARTITION_COLUMNS, *PROVENANCE_COLUMNS}
    columns = [
        f'cast("{name}" as varchar) as "{name}"' if kind == "JSON" else f'"{name}"'
        for name, kind, *_ in con.execute(f'describe "{table}"').fetchall()
        if name not in reserved
    ]
    return (f"select provenance.*, {', '.join(columns)} "
            f'from "{table}" cross join provenance')


def _commit_partition(lake: Path, tenant_id: str, month: str, items: list[_Pending]) -> None:
    """Rewrite each dataset's file of one (tenant, month) with the new snapshots' rows,
    `kri_values` last. Rows of these snapshots already in a file (left by an export
    that stopped before `kri_values` was written) are replaced, not duplicated."""
    new_ids = sorted(item.snapshot_id for item in items)
    datasets = sorted({f.stem for item in items for f in item.scratch.glob("*.parquet")}
                      - {KRI_DATASET})
    with duckdb.connect(":memory:") as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        for dataset in [*datasets, KRI_DATASET]:
            target = partition_dir(lake, dataset, tenant_id, month) / DATA_FILE
            new_files = [str(item.scratch / f"{dataset}.parquet") for item in items]
            selects = [f"select * from read_parquet({_literal_list(new_files)}, "
                       "hive_partitioning = false, union_by_name = true)"]
            if target.exists():
                selects.insert(0, (
                    f"select * from read_parquet({_literal(target)}, hive_partitioning = false)"
                    f" where snapshot_id not in ({', '.join(map(_quote, new_ids))})"))
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{DATA_FILE}.tmp")
            try:
                _copy(con, f"{' union all by name '.join(selects)} order by snapshot_id",
                      temporary)
            except duckdb.Error as exc:
                temporary.unlink(missing_ok=True)
                raise unreadable_lake(lake, exc) from exc
            os.replace(temporary, target)


def _copy(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    con.execute(f"copy ({select}) to {_literal(path)} (format parquet)")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _literal(path: Path) -> str:
    return _quote(str(path))


def _literal_list(paths: list[str]) -> str:
    return "[" + ", ".join(map(_quote, paths)) + "]"
