"""The fleet questions give the same rows on Spark as on DuckDB (docs/lake.md).

Spark runs in local mode in this process's JVM; one session serves every test. The
lake is generated (bench/fleet_lake.py): 100 tenants x 90 daily snapshots.
"""

from __future__ import annotations

import math
import shutil
import subprocess

import pytest
from entra_kri.analysis.fleet import fleet_queries, fleet_sql, register_spark_views, run_fleet_query

from bench.fleet_lake import build_fleet_lake, spark_session
from fake_graph import allow_loopback


def _java_17_or_later() -> bool:
    java = shutil.which("java")
    if java is None:
        return False
    version = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    words = version.stderr.split('"')
    return len(words) > 1 and int(words[1].split(".")[0]) >= 17


pytestmark = [
    allow_loopback,  # the JVM and Python talk over 127.0.0.1
    pytest.mark.skipif(not _java_17_or_later(),
                       reason="Spark needs Java 17 or later: apt-get install "
                              "openjdk-17-jre-headless (.ci/run installs it)"),
]


@pytest.fixture(scope="session")
def fleet_lake(tmp_path_factory):
    return build_fleet_lake(tmp_path_factory.mktemp("fleet") / "lake")


@pytest.fixture(scope="session")
def spark(fleet_lake):
    pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e "
                                          "'.[spark]' (.ci/run installs it)")
    session = spark_session()
    register_spark_views(session, str(fleet_lake))
    yield session
    session.stop()


def _same(left: object, right: object) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    return left == right and type(left) is type(right)


@pytest.mark.parametrize("name", fleet_queries())
def test_spark_and_duckdb_give_the_same_rows(name, spark, fleet_lake):
    duck = run_fleet_query(fleet_lake, name)
    frame = spark.sql(fleet_sql(name))
    rows = [tuple(row) for row in frame.collect()]
    assert tuple(frame.columns) == duck.columns
    assert len(rows) == len(duck.rows) > 0
    for spark_row, duck_row in zip(rows, duck.rows, strict=True):
        assert all(_same(s, d) for s, d in zip(spark_row, duck_row, strict=True)), (
            spark_row, duck_row)
