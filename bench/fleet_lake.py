"""A generated fleet lake, and `python -m bench.fleet_lake`: DuckDB and Spark timed on it.

The lake has many tenants x many days, written straight to Parquet.

Exporting real snapshots costs about a second each; the fleet questions only need
rows of the lake's shape, so this writes `kri_values` and `stg_users` directly with
DuckDB, partitioned by tenant and month as `entra-kri lake export` does, with the
column types of `entra_kri.analysis.lake.KRI_VALUE_COLUMNS`. Values are arithmetic
on (tenant, day), so the same call always writes the same lake.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import click
import duckdb
from entra_kri.analysis.fleet import fleet_queries, fleet_sql, register_spark_views, run_fleet_query
from entra_kri.analysis.lake import KRI_DATASET, KRI_VALUE_COLUMNS

START = "2026-08-15 06:00:00+00"  # 90 days reach 2026-11-12: the third and fourth quarters
USERS_PER_TENANT = 20
SLUGS = ("entra_mfa_enrollment_pct", "entra_guest_account_count")


def tenant_id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


def build_fleet_lake(lake: Path, tenants: int = 100, days: int = 90) -> Path:
    """Write the generated lake under `lake` and return it.

    MFA registration of tenant t on day d: 60 + t % 30 points, and from 2026-10-01 on,
    tenants with t % 4 == 0 lose t % 9 tenths of a point a day, so by 2026-11-12 some
    have lost more than 5 points this quarter and others 0 to 4.2; every 10th day of
    the tenants with t % 5 == 1 is degraded (registration report refused, value 0).
    """
    casts = ", ".join(f"cast({name} as {kind}) as {name}"
                      for name, kind in KRI_VALUE_COLUMNS.items())
    lake.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(":memory:") as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        con.execute(f"""
            create table snapshots as
            select
                t,
                d,
                '00000000-0000-4000-8000-' || lpad(cast(t as varchar), 12, '0') as tenant_id,
                timestamptz '{START}' + to_days(cast(d as integer)) as captured_at
            from range({tenants}) as tenants(t), range({days}) as days(d)
        """)
        con.execute("""
            create table kri_rows as
            select
                tenant_id,
                strftime(captured_at, '%Y-%m') as month,
                strftime(captured_at, '%Y%m%dT%H%M%SZ') as snapshot_id,
                captured_at,
                sha256(tenant_id || strftime(captured_at, '%Y%m%d')) as manifest_sha256,
                slug,
                case
                    when slug = 'entra_guest_account_count' then 10.0 + (t * 7 + d) % 50
                    when t % 5 = 1 and d % 10 = 0 then 0.0
                    else round(60 + t % 30 - case
                        when t % 4 = 0 and captured_at >= timestamptz '2026-10-01 00:00:00+00'
                            then (t % 9) * 0.1 * datediff('day', timestamptz
                                '2026-10-01 00:00:00+00', captured_at)
                        else 0 end, 1)
                end as value,
                slug = 'entra_mfa_enrollment_pct' and t % 5 = 1 and d % 10 = 0 as degraded,
                case when t % 5 = 1 and d % 10 = 0 then ['registration report refused']
                    else []::varchar[] end as warnings,
                sha256(slug) as sql_sha256,
                '0.1.0' as tool_version
            from snapshots, unnest(?::varchar[]) as slugs(slug)
        """, [list(SLUGS)])
        con.execute(f"""
            copy (select tenant_id, month, {casts} from kri_rows)
            to '{lake / KRI_DATASET}' (format parquet, partition_by (tenant_id, month),
                filename_pattern 'data_{{i}}')
        """)
        con.execute(f"""
            copy (
                select
                    s.tenant_id,
                    strftime(s.captured_at, '%Y-%m') as month,
                    strftime(s.captured_at, '%Y%m%dT%H%M%SZ') as snapshot_id,
                    s.captured_at,
                    sha256(s.tenant_id || strftime(s.captured_at, '%Y%m%d')) as manifest_sha256,
                    'u' || u as user_id,
                    (u + s.t + s.d) % 7 <> 0 as account_enabled,
                    u % 6 = 0 as is_guest,
                    (u + s.t + s.d) % 7 <> 0 and u % 6 <> 0 as is_enabled_member
                from snapshots as s, range({USERS_PER_TENANT}) as users(u)
            ) to '{lake / "stg_users"}' (format parquet, partition_by (tenant_id, month),
                filename_pattern 'data_{{i}}')
        """)
    return lake


def spark_session(cores: int = 2):
    """A local Spark session tuned for short runs over a lake of a few hundred small files:
    files listed on the driver and read in few tasks (not a job per listing and a task
    per file), no code generation and the JVM's quick compiler only, which halve the
    CPU a test session spends (measured: 20 s instead of 47 s of JVM CPU)."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # never another interface
    session = (SparkSession.builder.master(f"local[{cores}]")
               .appName("entra-kri-fleet")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(cores))
               .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "100000")
               .config("spark.sql.files.maxPartitionBytes", str(1 << 30))
               .config("spark.sql.files.openCostInBytes", str(1 << 20))
               .config("spark.sql.codegen.wholeStage", "false")
               .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
               .config("spark.driver.extraJavaOptions",
                       "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


@click.command()
@click.option("--tenants", default=100, show_default=True)
@click.option("--days", default=90, show_default=True)
@click.option("--spark/--no-spark", "with_spark", default=True, show_default=True,
              help="Also time the same questions on Spark in local mode (needs pyspark).")
def main(tenants: int, days: int, with_spark: bool) -> None:
    """Generate a fleet lake and time each fleet question on DuckDB and on Spark."""
    with tempfile.TemporaryDirectory() as work:
        lake = Path(work) / "lake"
        started = time.perf_counter()
        build_fleet_lake(lake, tenants, days)
        files = sum(1 for _ in lake.rglob("*.parquet"))
        click.echo(f"lake: {tenants} tenants x {days} days, {files} files, "
                   f"generated in {time.perf_counter() - started:.1f} s")
        for name in fleet_queries():
            started = time.perf_counter()
            rows = len(run_fleet_query(lake, name).rows)
            click.echo(f"duckdb {name}: {rows} rows in {time.perf_counter() - started:.2f} s")
        if not with_spark:
            return
        started = time.perf_counter()
        spark = spark_session()
        register_spark_views(spark, str(lake))
        click.echo(f"spark session and views: {time.perf_counter() - started:.1f} s")
        for round_ in ("first", "second"):
            for name in fleet_queries():
                started = time.perf_counter()
                rows = len(spark.sql(fleet_sql(name)).collect())
                click.echo(f"spark ({round_} run) {name}: {rows} rows in "
                           f"{time.perf_counter() - started:.2f} s")
        spark.stop()


if __name__ == "__main__":
    main()
