"""Ad-hoc SQL over every complete snapshot of a tenant (`entra-kri query ROOT "SQL"`).

Each collection is a view of the same name over all snapshots, with `snapshot_id`
and `captured_at` first. Every snapshot is verified first, and the views read
only its verified files: a snapshot that does not verify stops the query. Files
are read with `union_by_name` and a full schema scan, so a field that only
appears in later snapshots (or late in a file) is kept. The view `snapshots`
lists the snapshots. Named example queries live in analysis/sql/trend/ and may
read variables set with `--var NAME=VALUE`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path, PurePath

import duckdb
from entra_kri.analysis.compute import sql_literal
from entra_kri.analysis.explain import query_rows
from entra_kri.analysis.history import complete_snapshots, find_tenant_dir
from entra_kri.analysis.sandbox import SANDBOX_FIX, lock_down, require_one_select
from entra_kri.analysis.surrogates import is_lone_surrogate_error, readable_file

from entra_kri.errors import ConfigurationError
from entra_kri.snapshot.layout import COLLECTIONS
from entra_kri.snapshot.roots import storage_of
from entra_kri.snapshot.validate import Snapshot, open_snapshot

EXAMPLES_LAYER = "trend"


def examples() -> dict[str, str]:
    """The named example queries: name -> the first line of its header comment."""
    found = {}
    examples_dir = files("entra_kri.analysis").joinpath("sql", EXAMPLES_LAYER)
    for sql in sorted(examples_dir.iterdir(), key=str):
        if sql.name.endswith(".sql"):
            lines = sql.read_text("utf-8").splitlines()
            found[sql.name.removesuffix(".sql")] = lines[1].removeprefix("-- ") if len(
                lines) > 1 else ""
    return found


def example_sql(name: str) -> str:
    """The SQL of the named example."""
    if name not in examples():
        raise ConfigurationError(f"No example query named {name!r}.",
                                 f"Use one of: {', '.join(examples())}.")
    example = files("entra_kri.analysis").joinpath("sql", EXAMPLES_LAYER, f"{name}.sql")
    return example.read_text("utf-8")


@contextmanager
def history_connection(
    root: PurePath, tenant: str | None = None, variables: Mapping[str, str] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with one view per collection over all snapshots of the tenant.

    The connection is locked down (analysis/sandbox.py): it can read the collection
    files the views name and nothing else. A collection holding a lone UTF-16
    surrogate is read through copies with U+FFFD in its place (analysis/surrogates.py).
    """
    tenant_dir = find_tenant_dir(root, tenant)
    snapshots = [open_snapshot(ref.path) for ref in complete_snapshots(tenant_dir)]
    con = duckdb.connect(":memory:")
    copies = tempfile.TemporaryDirectory(prefix="entra-kri-readable-")
    try:
        for snapshot in snapshots:
            snapshot.storage.attach_to(con)
        con.execute("set TimeZone = 'UTC'")
        con.execute(
            "create table snapshot_list (snapshot_id varchar, captured_at timestamptz, "
            "manifest_sha256 varchar, path varchar)"
        )
        con.executemany(
            "insert into snapshot_list values (?, ?, ?, ?)",
            [[s.snapshot_id, s.captured_at, s.manifest.sha256, str(s.path)] for s in snapshots],
        )
        con.execute("create view snapshots as select * from snapshot_list order by snapshot_id")
        readable: list[PurePath] = []
        for collection in _collection_names(snapshots):
            files = _collection_files(collection, snapshots)
            try:
                con.execute(_collection_view(collection, files))
            except duckdb.InvalidInputException as exc:
                if not is_lone_surrogate_error(exc):
                    raise
                files = [readable_file(path, Path(copies.name)) for path in files]
                con.execute(_collection_view(collection, files))
            readable.extend(files)
        for name, value in (variables or {}).items():
            con.execute(f'set variable "{name}" = ?', [value])
        lock_down(con, readable)
        yield con
    finally:
        con.close()
        copies.cleanup()


def _collection_names(snapshots: list[Snapshot]) -> list[str]:
    """The format's collections, then any other collection a manifest lists."""
    names = dict.fromkeys(spec.name for spec in COLLECTIONS)
    for snapshot in snapshots:
        names.update(dict.fromkeys(c.name for c in snapshot.manifest.collections))
    return list(names)


def _collection_files(collection: str, snapshots: list[Snapshot]) -> list[PurePath]:
    """The verified files holding rows of `collection`, one per snapshot that captured some."""
    return [snapshot.files[collection] for snapshot in snapshots
            if (entry := snapshot.manifest.collection(collection)) and entry.is_ok
            and entry.items]


def _collection_view(collection: str, paths: list[PurePath]) -> str:
    if not paths:
        return (f'create view "{collection}" as select null::varchar as snapshot_id, '
                "null::timestamptz as captured_at where false")
    file_list = "[" + ", ".join(sql_literal(storage_of(p).sql_location(p)) for p in paths) + "]"
    return f"""
        create view "{collection}" as
        select s.snapshot_id, s.captured_at, c.* exclude (filename)
        from read_json(
            {file_list},
            format = 'newline_delimited',
            compression = 'gzip',
            union_by_name = true,
            sample_size = -1,
            filename = true,
            hive_partitioning = false
        ) as c
        inner join snapshot_list as s
            on s.snapshot_id
                = regexp_extract(c.filename, '(\\d{{8}}T\\d{{6}}Z)[/\\\\][^/\\\\]+$', 1)
    """


def run_query(
    root: PurePath, sql: str, tenant: str | None = None, variables: Mapping[str, str] | None = None
) -> tuple[tuple[str, ...], list[dict[str, object]]]:
    """Run `sql` over the tenant's snapshots; its columns and JSON-ready rows."""
    require_one_select(sql)
    with history_connection(root, tenant, variables) as con:
        try:
            columns, rows = query_rows(con, sql)
        except duckdb.PermissionException as exc:
            raise ConfigurationError(
                f"The query was refused: {str(exc).splitlines()[0]}", SANDBOX_FIX) from exc
        except duckdb.Error as exc:
            raise ConfigurationError(
                f"The query failed: {str(exc).splitlines()[0]}",
                "Views: snapshots, " + ", ".join(spec.name for spec in COLLECTIONS)
                + " (each with snapshot_id and captured_at).",
            ) from exc
    return columns, list(rows)
