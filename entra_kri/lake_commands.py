"""`entra-kri lake`: export verified snapshots to Parquet and ask fleet questions of it."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path, PurePath
from typing import Any

import click

from entra_kri.analysis.fleet import fleet_queries, fleet_sql, run_fleet_query
from entra_kri.analysis.lake import export_lake
from entra_kri.analysis.rows import render_csv, render_table
from entra_kri.errors import SnapshotError
from entra_kri.lock import tenant_lock
from entra_kri.options import ROOT, format_option
from entra_kri.snapshot.roots import is_url
from entra_kri.tenant_text import visible

log = logging.getLogger("entra_kri.lake")


@click.group()
def lake() -> None:
    """A Parquet lake of every tenant's KRIs and staged tables, for DuckDB and Spark."""


class LakeType(click.Path):
    """LAKE: a local folder. A store's URL is refused naming the fix (docs/lake.md): the
    export rewrites month files by rename and keeps its lock beside them, on local disk."""

    def __init__(self, exists: bool) -> None:
        super().__init__(path_type=Path, file_okay=False, exists=exists)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        if isinstance(value, str) and is_url(value):
            self.fail(f"{value} is a URL: a lake is a local folder. Export to a local folder, "
                      "then copy it to the store with the store's sync tool (`aws s3 sync "
                      "LAKE s3://BUCKET/PREFIX`, `azcopy sync`, `gcloud storage rsync`; "
                      "docs/lake.md, \"Pointing Databricks, Fabric or Synapse at the "
                      "lake\").", param, ctx)
        return super().convert(value, param, ctx)


@lake.command("export")
@click.argument("root", metavar="ROOT", type=ROOT)
@click.option("--to", "lake_dir", required=True, type=LakeType(exists=False),
              help="The lake folder, on local disk (created if missing).")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Snapshots verified and computed at once, each in its own process.")
def export(root: PurePath, lake_dir: Path, jobs: int) -> None:
    """Add every verified snapshot under ROOT that the lake lacks (running twice adds nothing)."""
    started = time.monotonic()
    exported = present = 0
    problems: list[str] = []
    with tenant_lock(lake_dir):  # one export per lake at a time
        for tenant in export_lake(root, lake_dir, jobs):
            exported += len(tenant.exported)
            present += tenant.present
            problems += [str(p) for p in tenant.problems]
            click.echo(f"{visible(tenant.tenant_dir.name)}: {len(tenant.exported)} exported, "
                       f"{tenant.present} already in the lake, {len(tenant.problems)} refused")
    log.info("lake %s: %d snapshot(s) exported, %d already there, in %.1f s", lake_dir,
             exported, present, time.monotonic() - started)
    if problems:
        for problem in problems:
            log.error("not exported: %s", problem)
        raise SnapshotError(
            f"{len(problems)} snapshot(s) under {root} were not exported because they do not "
            "verify (each is named above); the others are in the lake.",
            "Check them with `entra-kri verify`, then export again: what is in the lake "
            "already is kept.")


@lake.command("query")
@click.argument("name", required=False)
@click.argument("lake_dir", metavar="LAKE", required=False, type=LakeType(exists=True))
@format_option("table", "json", "csv")
def query(name: str | None, lake_dir: Path | None, fmt: str) -> None:
    """Run the fleet question NAME (analysis/sql/fleet/NAME.sql) on LAKE; no NAME: list them."""
    if name is None:
        click.echo("Fleet questions (run with: entra-kri lake query NAME LAKE):")
        for query_name in fleet_queries():
            click.echo(f"  {query_name:<36} {_question(fleet_sql(query_name))}")
        return
    if lake_dir is None:
        raise click.UsageError("Give the lake folder: entra-kri lake query NAME LAKE.")
    result = run_fleet_query(lake_dir, name)
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    if fmt == "json":
        click.echo(json.dumps({"columns": list(result.columns), "rows": rows}, indent=2,
                              default=str))
    elif fmt == "csv":
        click.echo(render_csv(result.columns, rows), nl=False)
    else:
        # Wide enough that a SHA-256 is never folded across lines.
        click.echo(render_table(result.columns, rows, notes=[f"{len(rows)} row(s)"],
                                width=320), nl=False)


def _question(sql: str) -> str:
    """The question a fleet file answers: the second line of its header."""
    lines = sql.splitlines()
    return lines[1].removeprefix("--").strip() if len(lines) > 1 else ""


def register(group: click.Group) -> None:
    group.add_command(lake)
