"""What the benchmark runs in a child process, one job per process, so that its peak RSS
is its own: `python -m bench.child JOB SPEC_JSON`.

Each job imports what it needs first, then times only its work (process start-up and
imports excluded) and prints one JSON object on stdout. The client secret comes from the
environment variable BENCH_CLIENT_SECRET, never from the command line.

Jobs: `capture` (entra-kri's take_snapshot), `baseline` (bench/baseline.py), `analysis`
(compute_kris), `ca_resolver` (the exact CA KRI's SQL on staged tables), `ca_kri` and
`ca_explain` (that KRI alone, and its explain, verification and staging included), `scan` (DuckDB's
typed read of the columns staging reads, file by file), `trend` (kri_history over a root
of snapshots).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SECRET_VARIABLE = "BENCH_CLIENT_SECRET"
CA_RESOLVER_KRI = "entra_ca_coverage_gaps_exact"


def _high_water_mb() -> float:
    """This process's peak resident set so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def capture(spec: dict[str, Any]) -> dict[str, Any]:
    from entra_kri.snapshotter.capture import take_snapshot
    from entra_kri.snapshotter.clouds import resolve_cloud
    from entra_kri.snapshotter.session import Connection

    connection = Connection(spec["tenant_id"], spec["client_id"],
                            resolve_cloud("global", spec["graph_url"], spec["login_url"]),
                            spec["ca_bundle"])
    captured_at = datetime.fromisoformat(spec["captured_at"])
    window = timedelta(hours=spec.get("window_hours", 24))
    secret = os.environ[SECRET_VARIABLE]

    def work() -> dict[str, Any]:
        client = connection.client(secret)
        path = take_snapshot(client, connection, Path(spec["root"]), captured_at, window)
        stats = {k: v for k, v in vars(client.stats).items() if not k.startswith("_")}
        return {"snapshot": str(path), "client_stats": stats}

    return _measure(work, spec.get("tracemalloc", False))


def baseline(spec: dict[str, Any]) -> dict[str, Any]:
    from bench.baseline import capture_baseline

    def work() -> dict[str, Any]:
        return capture_baseline(
            graph_url=spec["graph_url"], login_url=spec["login_url"],
            tenant_id=spec["tenant_id"], client_id=spec["client_id"],
            secret=os.environ[SECRET_VARIABLE], ca_bundle=spec["ca_bundle"],
            out=Path(spec["root"]), captured_at=datetime.fromisoformat(spec["captured_at"]),
            window=timedelta(hours=spec.get("window_hours", 24)),
        )

    return _measure(work)


def analysis(spec: dict[str, Any]) -> dict[str, Any]:
    from entra_kri.analysis.compute import compute_kris

    from entra_kri.snapshot.validate import open_snapshot

    path = Path(spec["snapshot"])

    def work() -> dict[str, Any]:
        started = time.perf_counter()
        snapshot = open_snapshot(path)
        verified = time.perf_counter() - started
        report = compute_kris(snapshot)
        return {"verify_seconds": round(verified, 3),
                "kris": {k.slug: k.value for k in report.kris}}

    return _measure(work)


def ca_resolver(spec: dict[str, Any]) -> dict[str, Any]:
    """The SQL of the exact Conditional Access KRI alone, on staged tables: what the CA
    resolver costs of the analysis."""
    from entra_kri.analysis.compute import connect, kri_sql, materialize_for

    from entra_kri.snapshot.validate import open_snapshot

    con = connect(open_snapshot(Path(spec["snapshot"])))

    def work() -> dict[str, Any]:
        sql = kri_sql(CA_RESOLVER_KRI).decode("utf-8")
        materialize_for(con, sql)
        con.execute(sql).fetchall()
        return {}

    with con:
        return _measure(work)


def ca_kri(spec: dict[str, Any]) -> dict[str, Any]:
    """The exact Conditional Access KRI alone, as `entra-kri kri` computes it."""
    from entra_kri.analysis.compute import compute_kris

    def work() -> dict[str, Any]:
        (kri,) = compute_kris(Path(spec["snapshot"]), kris=[CA_RESOLVER_KRI]).kris
        return {"value": kri.value}

    return _measure(work)


def ca_explain(spec: dict[str, Any]) -> dict[str, Any]:
    """The exact Conditional Access KRI's explain, as `entra-kri explain` computes it."""
    from entra_kri.analysis.explain import explain

    def work() -> dict[str, Any]:
        (explanation,) = explain(Path(spec["snapshot"]), [CA_RESOLVER_KRI])
        return {"value": explanation.kri.value, "rows": len(explanation.rows)}

    return _measure(work)


def typed_reads(sql: str) -> list[str]:
    """Every `read_json(...)` call in a staging file's SQL, parentheses balanced."""
    calls = []
    for start in (m.start() for m in re.finditer(r"\bread_json\(", sql)):
        depth = 0
        for end in range(start + len("read_json"), len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            if depth == 0:
                calls.append(sql[start:end + 1])
                break
    return calls


def scan(spec: dict[str, Any]) -> dict[str, Any]:
    """DuckDB's typed read of exactly the columns staging reads, file by file: each
    `read_json(...)` of analysis/sql/staging materialised into a table, as staging is."""
    from importlib.resources import files

    import duckdb
    from entra_kri.analysis.compute import set_file_variables

    from entra_kri.snapshot.validate import open_snapshot

    snapshot = open_snapshot(Path(spec["snapshot"]))
    staging = files("entra_kri.analysis") / "sql" / "staging"
    reads = {f"{sql.name}#{i}": call
             for sql in sorted(staging.iterdir(), key=lambda t: t.name)
             if sql.name.endswith(".sql")
             for i, call in enumerate(typed_reads(sql.read_text()))}

    def work() -> dict[str, Any]:
        rows = {}
        with duckdb.connect(":memory:") as con:
            con.execute("set TimeZone = 'UTC'")
            set_file_variables(con, snapshot)
            for n, (name, call) in enumerate(reads.items()):
                con.execute(f"create table scan_{n} as select * from {call}")
                rows[name] = con.execute(f"select count(*) from scan_{n}").fetchone()[0]
        return {"rows": rows}

    return _measure(work)


def trend(spec: dict[str, Any]) -> dict[str, Any]:
    from entra_kri.analysis.history import kri_history

    def work() -> dict[str, Any]:
        history = kri_history(Path(spec["root"]))
        snapshots = len({p.snapshot_id for p in history.points})
        return {"snapshots": snapshots, "computed": history.computed}

    return _measure(work)


def _measure(work: Callable[[], dict[str, Any]], trace: bool = False) -> dict[str, Any]:
    before = _high_water_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    if trace:
        result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {**result, "seconds": round(seconds, 3), "rss_before_work_mb": round(before, 1),
            "rss_peak_mb": round(_high_water_mb(), 1)}


JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "capture": capture, "baseline": baseline, "analysis": analysis, "ca_resolver": ca_resolver,
    "ca_kri": ca_kri, "ca_explain": ca_explain, "scan": scan,
    "trend": trend,
}


def main(argv: list[str]) -> None:
    job, spec = argv
    print(json.dumps(JOBS[job](json.loads(spec))))


if __name__ == "__main__":
    main(sys.argv[1:])
