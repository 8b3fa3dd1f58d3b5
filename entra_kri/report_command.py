"""`entra-kri report`: one self-contained HTML page about a tenant for a CISO or an auditor."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path, PurePath

import click

from entra_kri.analysis.history import find_tenant_dir
from entra_kri.analysis.report_data import gather_report
from entra_kri.analysis.report_html import render_report
from entra_kri.analysis.thresholds import merge_thresholds
from entra_kri.config import load_config
from entra_kri.errors import SnapshotError
from entra_kri.options import ROOT, config_option, root_tenant_option
from entra_kri.storage import atomic_output


@click.command()
@click.argument("root", type=ROOT)
@root_tenant_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="The HTML file to write [default: report-<tenant_id>.html].")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="First day of the trends (YYYY-MM-DD, UTC) [default: every snapshot].")
@config_option("Configuration file whose tenant thresholds and KRI selection apply.")
def report(root: PurePath, tenant: str | None, out: Path | None, since: datetime | None,
           config_path: Path | None) -> None:
    """Write an HTML report: KRIs, trends, latest changes, degraded KRIs, verification."""
    config = load_config(config_path)
    tenant_id = find_tenant_dir(root, config.tenant_id_for(tenant)).name
    settings = config.for_tenant_id(tenant_id)
    data = gather_report(
        root, tenant_id,
        thresholds=merge_thresholds(settings.thresholds if settings else None),
        kris=settings.kris if settings else None,
        since=since.date() if since else None,
    )
    target = out or Path(f"report-{data.tenant_id}.html")
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(target) as temporary:
        temporary.write_text(render_report(data), encoding="utf-8")
    click.echo(str(target))
    problems = data.verification.problems
    if problems:
        raise SnapshotError(
            f"The report {target} was written, but {len(problems)} problem(s) were found "
            f"verifying tenant {data.tenant_id}: the report lists them, and leaves the "
            "snapshots that do not verify out of every number.",
            f"Run `entra-kri verify {root}` for details; restore the named files or snapshots "
            "from a copy you trust.",
        )


def register(group: click.Group) -> None:
    """Add the `report` command to the `entra-kri` group."""
    group.add_command(report)
