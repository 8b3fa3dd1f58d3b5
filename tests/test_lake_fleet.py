"""The fleet questions (analysis/sql/fleet/) on DuckDB, one rule per test (docs/lake.md)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from entra_kri.analysis.fleet import fleet_queries, fleet_sql, run_fleet_query
from entra_kri.analysis.lake import KRI_DATASET, KRI_VALUE_COLUMNS

from bench.fleet_lake import build_fleet_lake
from entra_kri.errors import ConfigurationError

MFA = "entra_mfa_enrollment_pct"


def write_kri_values(lake: Path, rows: list[tuple[str, str, float | None, bool]]) -> Path:
    """kri_values rows (tenant, captured_at, MFA value, degraded), partitioned as exported."""
    casts = ", ".join(f"cast({name} as {kind}) as {name}"
                      for name, kind in KRI_VALUE_COLUMNS.items())
    lake.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create table given (tenant_id varchar, captured_at timestamptz, "
                    "value double, degraded boolean)")
        con.executemany("insert into given values (?, ?, ?, ?)", rows)
        con.execute(f"""
            copy (
                select tenant_id, month, {casts} from (
                    select
                        tenant_id,
                        strftime(captured_at, '%Y-%m') as month,
                        strftime(captured_at, '%Y%m%dT%H%M%SZ') as snapshot_id,
                        captured_at,
                        'm' as manifest_sha256,
                        '{MFA}' as slug,
                        value,
                        degraded,
                        []::varchar[] as warnings,
                        's' as sql_sha256,
                        '0.1.0' as tool_version
                    from given
                )
            ) to '{lake / KRI_DATASET}' (format parquet, partition_by (tenant_id, month))
        """)
    return lake


def lost(lake: Path) -> list[tuple[str, float]]:
    result = run_fleet_query(lake, "mfa_registration_lost_this_quarter")
    return [(row[0], round(row[-1], 6)) for row in result.rows]


def test_a_loss_of_more_than_5_points_this_quarter_is_listed(tmp_path):
    lake = write_kri_values(tmp_path, [
        ("a", "2026-10-02T06:00:00Z", 80.0, False),
        ("a", "2026-11-20T06:00:00Z", 74.9, False),
    ])
    assert lost(lake) == [("a", 5.1)]


def test_a_loss_of_exactly_5_points_is_not_more_than_5(tmp_path):
    lake = write_kri_values(tmp_path, [
        ("a", "2026-10-02T06:00:00Z", 80.0, False),
        ("a", "2026-11-20T06:00:00Z", 75.0, False),
    ])
    assert lost(lake) == []


def test_the_quarter_is_that_of_the_newest_snapshot_in_the_lake(tmp_path):
    # Tenant b's drop happened in the third quarter; the lake's newest snapshot
    # (tenant a, November) makes the fourth quarter "this quarter".
    lake = write_kri_values(tmp_path, [
        ("a", "2026-10-02T06:00:00Z", 80.0, False),
        ("a", "2026-11-20T06:00:00Z", 70.0, False),
        ("b", "2026-07-01T06:00:00Z", 90.0, False),
        ("b", "2026-09-30T06:00:00Z", 60.0, False),
        ("b", "2026-10-01T06:00:00Z", 60.0, False),
    ])
    assert lost(lake) == [("a", 10.0)]


def test_the_quarter_starts_at_the_tenants_first_snapshot_in_it(tmp_path):
    # A drop from the last September snapshot to the first October one is last
    # quarter's; this quarter compares October 1 with the latest.
    lake = write_kri_values(tmp_path, [
        ("a", "2026-09-30T23:59:59Z", 90.0, False),
        ("a", "2026-10-01T00:00:00Z", 80.0, False),
        ("a", "2026-12-31T23:59:59Z", 77.0, False),
    ])
    assert lost(lake) == []


def test_degraded_values_are_left_out(tmp_path):
    # A refused registration report counts everyone as not registered (0 %): a fail-safe,
    # not a loss of 80 points.
    lake = write_kri_values(tmp_path, [
        ("a", "2026-10-02T06:00:00Z", 80.0, False),
        ("a", "2026-11-19T06:00:00Z", 79.0, False),
        ("a", "2026-11-20T06:00:00Z", 0.0, True),
    ])
    assert lost(lake) == []


def test_tenants_are_listed_by_points_lost_then_tenant(tmp_path):
    lake = write_kri_values(tmp_path, [
        (tenant, moment, value, False)
        for tenant, drop in (("c", 6.0), ("a", 9.0), ("b", 6.0))
        for moment, value in (("2026-10-02T06:00:00Z", 80.0),
                              ("2026-11-20T06:00:00Z", 80.0 - drop))
    ])
    assert lost(lake) == [("a", 9.0), ("b", 6.0), ("c", 6.0)]


def test_the_generated_fleet_names_the_tenants_the_generator_made_lose(tmp_path):
    lake = build_fleet_lake(tmp_path / "lake", tenants=40, days=90)
    # bench/fleet_lake.py: tenants t % 4 == 0 lose (t % 9) / 10 points a day for the 42
    # days from 2026-10-01 to 2026-11-12, i.e. 4.2 * (t % 9): more than 5 from t % 9 >= 2.
    names = [row[0] for row in run_fleet_query(lake, "mfa_registration_lost_this_quarter").rows]
    assert sorted(int(name[-12:]) for name in names) == [
        t for t in range(40) if t % 4 == 0 and t % 9 >= 2]


# DuckDB spellings that Spark SQL does not read (or reads otherwise): the fleet files keep
# to the subset both engines share, and tests/test_lake_spark.py runs them on both.
NOT_PORTABLE = {
    r"::": "a :: cast (write cast(x as type))",
    r"\bgetvariable\b": "DuckDB variables",
    r"\blist_\w+|\blen\(|\[": "DuckDB lists",
    r"\bfilter\s*\(\s*where": "aggregate filter clauses (write sum(case when ...))",
    r"\bstrftime\b|\bstrptime\b": "strftime patterns, which differ between engines",
    r"\bqualify\b": "qualify",
    r"\bexclude\b|\breplace\s*\(": "star modifiers",
    r"\bjson_\w+": "JSON functions",
    r"\bilike\b": "ilike",
    r"\bunion\s+all\s+by\s+name\b": "union by name",
}


@pytest.mark.parametrize("name", fleet_queries())
def test_fleet_sql_keeps_to_the_portable_subset(name):
    code = re.sub(r"--[^\n]*|'(?:[^']|'')*'", " ", fleet_sql(name)).lower()
    found = [why for pattern, why in NOT_PORTABLE.items() if re.search(pattern, code)]
    assert found == []


def test_an_unknown_fleet_question_names_the_known_ones():
    with pytest.raises(ConfigurationError, match="kri_latest"):
        fleet_sql("no_such_question")
