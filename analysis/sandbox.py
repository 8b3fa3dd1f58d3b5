"""The sandbox of ad-hoc SQL (`entra-kri query`): read the verified snapshot files, nothing else.

Two layers, because neither is enough alone (measured on DuckDB 2.0.1):

- `lock_down` lets the connection open only the listed files (`allowed_paths`),
  then turns off every other file, network and extension access and locks the
  configuration so SQL cannot turn it back on. DuckDB's `allowed_paths` allows
  writing to those files as well as reading them, so this layer alone would
  let `COPY ... TO` overwrite a snapshot file.
- `require_one_select` refuses anything but a single SELECT statement (which
  includes `WITH`, `FROM`-first, `DESCRIBE`, `SUMMARIZE`, `SHOW`), so COPY,
  ATTACH, INSTALL, LOAD, SET, PRAGMA and EXPORT never reach the connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

import duckdb

from entra_kri.errors import ConfigurationError
from entra_kri.snapshot.object_storage import ObjectPath

SANDBOX_FIX = (
    "The query command reads only the snapshot files, through the views (snapshots and one per "
    "collection): it has no access to other files, the network or extensions, and "
    "cannot write. To keep a result, use --format csv or json and redirect the output."
)


def lock_down(con: duckdb.DuckDBPyConnection, readable: Iterable[PurePath]) -> None:
    """From now on `con` opens only the files in `readable`; no setting can undo that."""
    con.execute("set allowed_paths = ?", [[_opened_as(path) for path in readable]])
    con.execute("set allowed_directories = []")
    con.execute("set autoinstall_known_extensions = false")
    con.execute("set autoload_known_extensions = false")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")


def _opened_as(path: PurePath) -> str:
    """The name DuckDB opens `path` by: a local path as it is, an object in a store by the
    location of the filesystem registered for it (entra_kri/snapshot/object_storage.py)."""
    return path.storage.sql_location(path) if isinstance(path, ObjectPath) else str(path)


def require_one_select(sql: str) -> None:
    """ConfigurationError unless `sql` is exactly one SELECT statement."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise ConfigurationError(f"The query failed: {str(exc).splitlines()[0]}",
                                 "Check the SQL's syntax.") from exc
    kinds = [statement.type for statement in statements]
    if kinds != [duckdb.StatementType.SELECT]:
        found = ", ".join(kind.name for kind in kinds) or "no statement"
        raise ConfigurationError(
            f"query runs one SELECT statement; this SQL holds: {found}.", SANDBOX_FIX)
