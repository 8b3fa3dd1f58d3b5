"""Compute the KRIs of one snapshot: verify it, stage it in DuckDB, run the KRI SQL."""

from __future__ import annotations

import functools
import hashlib
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import PurePath

import duckdb
from entra_kri.analysis.build_order import build_order, reads
from entra_kri.analysis.surrogates import is_lone_surrogate_error, readable_copy
from entra_kri.analysis.thresholds import Status, status

import entra_kri
from entra_kri.errors import SnapshotError
from entra_kri.kris import DEFAULT_THRESHOLDS, Threshold, kri_by_slug, selected
from entra_kri.snapshot.layout import COLLECTIONS, MANIFEST_FILE
from entra_kri.snapshot.storage import LOCAL
from entra_kri.snapshot.validate import Snapshot, open_snapshot

# Views are created layer by layer; a view may use views of earlier layers.
LAYERS = (("staging", "table"), ("intermediate", "view"))
MACROS = "macros"
# An intermediate file whose header has this line becomes a table, created with the
# views that read it only before the first statement that needs them
# (`materialize_for`): a relation many others read (the CA resolver's sign-in contexts
# and policy sets) is computed once instead of re-planned inside every view that uses
# it, and a connection whose statements never read it (another KRI, a trend) does not
# pay for it.
MATERIALIZED = "-- Materialized: table"
MEMORY_LIMIT = "1GB"
READ_ERRORS = (duckdb.IOException, duckdb.InvalidInputException, duckdb.ConversionException)
KRI_COLUMNS = ("slug", "value", "degraded", "warnings")


@dataclass(frozen=True)
class KriResult:
    """One KRI's value at the snapshot's time, its status, and what produced it."""

    slug: str
    value: float | int | None
    status: Status
    degraded: bool
    warnings: tuple[str, ...]
    threshold: Threshold
    sql_sha256: str
    tool_version: str


@dataclass(frozen=True)
class KriReport:
    """The KRIs of one snapshot, with the snapshot's identity and its run warnings."""

    tenant_id: str
    snapshot_id: str
    captured_at: str
    kris: tuple[KriResult, ...]
    warnings: tuple[str, ...]


def compute_kris(
    snapshot_dir: PurePath | Snapshot,
    thresholds: Mapping[str, Threshold] | None = None,
    kris: Sequence[str] | None = None,
) -> KriReport:
    """Verify the snapshot at `snapshot_dir` (unless given one verified already) and compute
    `kris` (default: all of them).

    Raises SnapshotError for a missing, incomplete or tampered snapshot and
    ConfigurationError for an unknown KRI slug.
    """
    slugs = selected(kris)
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    snapshot = verified(snapshot_dir)
    with connect(snapshot) as con:
        results = tuple(compute_one(con, snapshot, slug, limits[slug]) for slug in slugs)
    return KriReport(
        tenant_id=snapshot.tenant_id,
        snapshot_id=snapshot.snapshot_id,
        captured_at=snapshot.captured_at,
        kris=results,
        warnings=tuple(snapshot.warnings),
    )


def connect(snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the staging tables and intermediate views of
    `snapshot`.

    Staging is materialised: each collection file is read and decompressed once,
    however many KRIs use it. DuckDB's memory is capped and spills to a temporary
    directory, so a tenant of a million users fits the analysis' memory budget.
    The session runs in UTC, and the SQL reads the verified files only: the
    variables of `file_variables(snapshot)`. A snapshot holding a lone UTF-16
    surrogate, which DuckDB's JSON reader refuses, is staged from a readable copy
    of its verified files (analysis/surrogates.py).
    """
    try:
        return _stage(snapshot, snapshot.storage.sql_location)
    except READ_ERRORS as exc:
        if not is_lone_surrogate_error(exc):
            raise _unreadable(snapshot, "staging", exc) from exc
    files = [MANIFEST_FILE, *(path.name for path in snapshot.files.values())]
    with readable_copy(snapshot.path, files) as readable:
        try:
            return _stage(snapshot, lambda path: LOCAL.sql_location(readable / path.name))
        except READ_ERRORS as exc:
            raise _unreadable(snapshot, "staging", exc) from exc


def _stage(snapshot: Snapshot, locate: Callable[[PurePath], str]) -> duckdb.DuckDBPyConnection:
    """`connect(snapshot)`, with staging reading each verified file where `locate` says."""
    con = duckdb.connect(":memory:", config={
        "memory_limit": MEMORY_LIMIT, "temp_directory": tempfile.gettempdir()})
    try:
        snapshot.storage.attach_to(con)
        con.execute("set TimeZone = 'UTC'")
        set_file_variables(con, snapshot, locate)
        create_macros(con)
        for layer, kind in LAYERS:
            skip = deferred_relations() if layer == "intermediate" else frozenset()
            create_views(con, layer, kind, skip)
    except BaseException:
        con.close()
        raise
    return con


def verified(snapshot: PurePath | Snapshot) -> Snapshot:
    """`snapshot` if already verified, else the snapshot at that path, verified now."""
    return snapshot if isinstance(snapshot, Snapshot) else open_snapshot(snapshot)


def file_variables(
    snapshot: Snapshot, locate: Callable[[PurePath], str] | None = None
) -> dict[str, str | list[str]]:
    """The DuckDB variables through which the staging SQL reads a verified snapshot:
    `manifest_file`, and `<collection>_files` for each collection of the format (its
    verified file, or an empty list when an older snapshot lacks the collection).

    `locate` names a verified file for DuckDB (default: where the snapshot's storage
    has it, safe from DuckDB's globbing).
    """
    where = locate or snapshot.storage.sql_location
    return {
        "manifest_file": where(snapshot.manifest_path),
        **{f"{spec.name}_files": [where(snapshot.files[spec.name])]
           if spec.name in snapshot.files else [] for spec in COLLECTIONS},
    }


def set_file_variables(con: duckdb.DuckDBPyConnection, snapshot: Snapshot,
                       locate: Callable[[PurePath], str] | None = None) -> None:
    """Set `file_variables(snapshot, locate)` on `con`."""
    for name, value in file_variables(snapshot, locate).items():
        cast = "::varchar[]" if isinstance(value, list) else ""
        con.execute(f"set variable {name} = ?{cast}", [value])


def sql_literal(text: str) -> str:
    """`text` as a SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _unreadable(snapshot: Snapshot, step: str, exc: Exception) -> SnapshotError:
    return SnapshotError(
        f"The snapshot {snapshot.path} could not be read while computing {step}: "
        f"{str(exc).splitlines()[0]}",
        "The files match the manifest, so the capture wrote data this version cannot "
        "read: capture a new snapshot, or report the problem with this message.",
    )


def kri_sql(slug: str) -> bytes:
    """The bytes of the KRI's value SQL (the registry's `kri_sql`)."""
    return sql_path(kri_by_slug(slug).kri_sql).read_bytes()


def sql_file(layer: str, name: str) -> Traversable:
    """analysis/sql/<layer>/<name>.sql."""
    return _sql_dir(layer).joinpath(f"{name}.sql")


def sql_path(relative: str) -> Traversable:
    """analysis/sql/<relative>, as the registry names a KRI's files."""
    return files("entra_kri.analysis").joinpath("sql", *relative.split("/"))


def _sql_dir(layer: str) -> Traversable:
    return files("entra_kri.analysis").joinpath("sql").joinpath(layer)


def _sql_files(layer: str) -> Iterator[Traversable]:
    yield from sorted(
        (f for f in _sql_dir(layer).iterdir() if f.name.endswith(".sql")), key=lambda f: f.name
    )


def macro_files() -> list[Traversable]:
    """analysis/sql/macros/*.sql: each one `create macro` statement the layers use."""
    return list(_sql_files(MACROS))


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the macros of analysis/sql/macros/ (before any layer)."""
    for macro in macro_files():
        con.execute(macro.read_text("utf-8"))


def create_views(con: duckdb.DuckDBPyConnection, layer: str, kind: str = "view",
                 skip: frozenset[str] = frozenset()) -> list[str]:
    """Create one view (or table) per file of analysis/sql/`layer`, named after the file,
    each after the files of its layer it reads (analysis/build_order.py); files named
    in `skip` are left out. Returns the names in the order they were created."""
    statements = {f.name.removesuffix(".sql"): f.read_text("utf-8") for f in _sql_files(layer)
                  if f.name.removesuffix(".sql") not in skip}
    order = build_order(statements)
    for name in order:
        con.execute(f'create {kind} "{name}" as {statements[name]}')
    return order


def compute_one(
    con: duckdb.DuckDBPyConnection, snapshot: Snapshot, slug: str, threshold: Threshold
) -> KriResult:
    """Run analysis/sql/kri/<slug>.sql on a connection from `connect(snapshot)`."""
    sql = kri_sql(slug)
    try:
        materialize_for(con, sql.decode("utf-8"))
        cursor = con.execute(sql.decode("utf-8"))
        columns = tuple(d[0] for d in cursor.description)
        rows = cursor.fetchall()
    except READ_ERRORS as exc:
        raise _unreadable(snapshot, slug, exc) from exc
    if columns != KRI_COLUMNS or len(rows) != 1:
        raise RuntimeError(f"{slug}.sql must return one row of {KRI_COLUMNS}; got {columns}")
    row_slug, raw_value, degraded, warnings = rows[0]
    if row_slug != slug:
        raise RuntimeError(f"{slug}.sql returned the slug {row_slug!r}")
    value = _typed_value(slug, raw_value)
    return KriResult(
        slug=slug,
        value=value,
        status=status(value, threshold),
        degraded=bool(degraded),
        warnings=tuple(warnings or ()),
        threshold=threshold,
        sql_sha256=hashlib.sha256(sql).hexdigest(),
        tool_version=entra_kri.__version__,
    )


def _typed_value(slug: str, value: float | None) -> float | int | None:
    if value is None:
        return None
    if kri_by_slug(slug).unit == "percent":
        return float(value)
    return int(value)


def materialize_for(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Create the deferred intermediate relations that `sql` reads, once per connection.

    A MATERIALIZED relation becomes a table; a deferred view (one that reads a
    MATERIALIZED relation) a view, each after the relations it reads.
    """
    order, direct = _deferred()
    needed = reads(sql, set(order))
    todo = list(needed)
    while todo:
        for other in direct[todo.pop()] - needed:
            if other in direct:
                needed.add(other)
                todo.append(other)
    existing = {row[0] for row in con.execute(
        "select view_name from duckdb_views() union all select table_name from duckdb_tables()"
    ).fetchall()}
    for name in order:
        if name in needed and name not in existing:
            sql_text = _sql_dir("intermediate").joinpath(f"{name}.sql").read_text("utf-8")
            kind = "table" if _is_marked(sql_text) else "view"
            con.execute(f'create {kind} "{name}" as {sql_text}')


@functools.cache
def _deferred() -> tuple[tuple[str, ...], dict[str, frozenset[str]]]:
    """The intermediate relations `connect` leaves out: the MATERIALIZED ones and every
    one that reads them, directly or through other views; in build order, each with
    the deferred relations it reads directly."""
    texts = {f.name.removesuffix(".sql"): f.read_text("utf-8")
             for f in _sql_files("intermediate")}
    inputs = {name: reads(text, set(texts) - {name}) for name, text in texts.items()}
    deferred = {name for name, text in texts.items() if _is_marked(text)}
    grown = True
    while grown:
        grown = False
        for name, names in inputs.items():
            if name not in deferred and names & deferred:
                deferred.add(name)
                grown = True
    order = build_order({name: texts[name] for name in deferred})
    return tuple(order), {name: frozenset(inputs[name] & deferred) for name in deferred}


def deferred_relations() -> frozenset[str]:
    """The intermediate relations `connect` does not create (see `materialize_for`)."""
    return frozenset(_deferred()[0])


def _is_marked(sql: str) -> bool:
    header = sql.split("\n\n", 1)[0].splitlines()
    return any(line.startswith(MATERIALIZED) for line in header)
