"""Fleet questions over a lake written by `entra-kri lake export` (docs/lake.md).

Each question is one file of analysis/sql/fleet/, written in the subset of SQL that
DuckDB and Spark SQL read alike, over one view per dataset of the lake (kri_values,
stg_users, ...) with the partition columns tenant_id and month. `lake_connection`
builds those views on DuckDB; `register_spark_views` builds the same ones in a Spark
session, so the same file gives the same rows on a laptop and on a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb
from entra_kri.analysis.compute import sql_file
from entra_kri.analysis.lake import KRI_DATASET, unreadable_lake

from entra_kri.errors import ConfigurationError

FLEET_LAYER = "fleet"


@dataclass(frozen=True)
class FleetResult:
    """The rows a fleet question returned, with their column names."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def fleet_queries() -> list[str]:
    """The names of the fleet questions (files of analysis/sql/fleet/)."""
    folder = files("entra_kri.analysis").joinpath("sql", FLEET_LAYER)
    return sorted(f.name.removesuffix(".sql") for f in folder.iterdir()
                  if f.name.endswith(".sql"))


def fleet_sql(name: str) -> str:
    """The text of analysis/sql/fleet/<name>.sql; ConfigurationError for an unknown name."""
    if name not in fleet_queries():
        raise ConfigurationError(f"No fleet query {name!r}.",
                                 f"Use one of: {', '.join(fleet_queries())}.")
    return sql_file(FLEET_LAYER, name).read_text("utf-8")


def lake_datasets(lake: Path) -> list[str]:
    """The datasets of the lake that hold at least one file."""
    if not (lake / KRI_DATASET).is_dir():
        raise ConfigurationError(
            f"{lake} is not a lake: it has no {KRI_DATASET}/ folder.",
            "Give the folder written by `entra-kri lake export ROOT --to LAKE`.")
    return sorted(d.name for d in lake.iterdir()
                  if d.is_dir() and not d.name.startswith((".", "_"))
                  and next(d.glob("*/*/*.parquet"), None) is not None)


def lake_connection(lake: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection, in UTC, with one view per dataset of `lake`.
    Partition values stay text (a month such as 2026-11 is not a date)."""
    con = duckdb.connect(":memory:")
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    for dataset in lake_datasets(lake):
        pattern = str(lake / dataset / "*" / "*" / "*.parquet").replace("'", "''")
        con.execute(f'create view "{dataset}" as select * from read_parquet(\'{pattern}\', '
                    "hive_partitioning = true, hive_types_autocast = false, "
                    "union_by_name = true)")
    return con


def run_fleet_query(lake: Path, name: str) -> FleetResult:
    """Run analysis/sql/fleet/<name>.sql on DuckDB over `lake`."""
    sql = fleet_sql(name)
    try:
        with lake_connection(lake) as con:
            cursor = con.execute(sql)
            return FleetResult(tuple(d[0] for d in cursor.description), cursor.fetchall())
    except duckdb.Error as exc:
        raise unreadable_lake(lake, exc) from exc


def register_spark_views(spark: Any, lake: str, datasets: list[str] | None = None) -> list[str]:
    """Register one temporary view per dataset of `lake` in a Spark session, as
    `lake_connection` does on DuckDB: partition columns as strings, in UTC. `lake` is a
    local folder or any URI Spark reads (abfss://, s3a://, dbfs:/...); `datasets` may
    be left out for a local folder."""
    names = datasets if datasets is not None else lake_datasets(Path(lake))
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    for dataset in names:
        spark.read.parquet(f"{lake.rstrip('/')}/{dataset}").createOrReplaceTempView(dataset)
    return names
