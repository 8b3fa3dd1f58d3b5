"""`python -m bench.lake_export`: `entra-kri lake export` timed on a generated fleet.

One snapshot (the demo cassette replayed, or --snapshot) becomes TENANTS tenants of
DAYS daily snapshots each (`bench.series.make_series`, each copy under its own tenant
id), and the export is timed three times: the first export of everything, the same
export again with nothing new, and one new day per tenant. Each figure comes with the
files and rows the lake then holds and the load average, since the machine is shared.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import duckdb
from click.testing import CliRunner
from entra_kri.analysis.lake import export_lake

from bench.run import REPO, machine_info
from bench.series import make_series
from entra_kri.cli import cli

DEMO_CASSETTE = REPO / "fixtures" / "demo" / "cassette.yaml"


def fleet_tenant_id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


def replayed_demo(work: Path) -> Path:
    """The demo tenant's snapshot, replayed from its cassette (no network)."""
    result = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE),
                                      "--out", str(work / "demo")])
    if result.exit_code != 0:
        raise click.ClickException(f"replaying the demo cassette failed: {result.output}")
    return Path(result.stdout.strip())


def lake_figures(lake: Path) -> dict[str, Any]:
    """Files, bytes and rows the lake holds, per dataset and in all."""
    datasets = sorted(d for d in lake.iterdir() if d.is_dir())
    rows = {d.name: duckdb.sql(f"select count(*) from read_parquet('{d}/**/*.parquet')")
            .fetchall()[0][0] for d in datasets}
    files = list(lake.rglob("*.parquet"))
    return {"datasets": len(datasets), "files": len(files),
            "bytes": sum(f.stat().st_size for f in files),
            "rows": sum(rows.values()), "kri_values_rows": rows.get("kri_values", 0)}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the --jobs workers)."""
    own, children = (resource.getrusage(who) for who in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_export(root: Path, lake: Path, jobs: int) -> dict[str, Any]:
    """One export, timed in wall-clock and CPU seconds (the CPU figure suffers less from
    other jobs on the machine), with what the lake holds after it."""
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    exported = present = refused = 0
    for tenant in export_lake(root, lake, jobs):
        exported += len(tenant.exported)
        present += tenant.present
        refused += len(tenant.problems)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "exported": exported,
            "already_there": present, "refused": refused,
            "seconds_per_exported_snapshot": round(seconds / exported, 3) if exported else None,
            "cpu_seconds_per_exported_snapshot": round(cpu / exported, 3) if exported else None,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            **lake_figures(lake)}


@click.command()
@click.option("--tenants", default=10, show_default=True)
@click.option("--days", default=10, show_default=True)
@click.option("--jobs", default=1, show_default=True, help="`lake export --jobs`.")
@click.option("--snapshot", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="The snapshot each tenant copies [default: the demo cassette, replayed].")
def main(tenants: int, days: int, jobs: int, snapshot: Path | None) -> None:
    """Time `lake export` on TENANTS x DAYS daily snapshots: first, again, one new day."""
    report: dict[str, Any] = {"machine": machine_info(),
                              "settings": {"tenants": tenants, "days": days, "jobs": jobs}}
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as scratch:
        work = Path(scratch)
        base = snapshot or replayed_demo(work)
        root, held, lake = work / "root", work / "held", work / "lake"
        for index in range(tenants):
            tenant_dir = make_series(base, root, days + 1, tenant_id=fleet_tenant_id(index))
            newest = max(tenant_dir.iterdir())  # held back: the next day's snapshot
            (held / tenant_dir.name).mkdir(parents=True)
            newest.rename(held / tenant_dir.name / newest.name)
        report["snapshot_bytes"] = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
        report["first"] = timed_export(root, lake, jobs)
        click.echo(f"first export: {report['first']}", err=True)
        report["again"] = timed_export(root, lake, jobs)
        click.echo(f"again, nothing new: {report['again']}", err=True)
        for newest in held.glob("*/*"):
            newest.rename(root / newest.parent.name / newest.name)
        report["one_new_day"] = timed_export(root, lake, jobs)
        click.echo(f"one new day per tenant: {report['one_new_day']}", err=True)
    click.echo(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
