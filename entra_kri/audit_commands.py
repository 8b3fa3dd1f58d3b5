"""The audit and history commands: verify, explain, evidence, diff, trend, query."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any

import click

from entra_kri.analysis.diff import diff_snapshots, render_diff_table
from entra_kri.analysis.evidence import write_evidence
from entra_kri.analysis.explain import RECORD_LAYOUT
from entra_kri.analysis.explain import explain as explain_kris
from entra_kri.analysis.history import check_history, find_tenant_dir, kri_history
from entra_kri.analysis.query import example_sql, examples, run_query
from entra_kri.analysis.rows import render_csv, render_records, render_table
from entra_kri.analysis.thresholds import merge_thresholds
from entra_kri.analysis.trend import render_trend, write_png
from entra_kri.config import Config, load_config
from entra_kri.errors import ConfigurationError, SnapshotError
from entra_kri.options import ROOT, config_option, format_option, root_tenant_option
from entra_kri.snapshot.chain import verify_tenant
from entra_kri.snapshot.tree import is_snapshot_dir, tenant_dirs
from entra_kri.snapshot.validate import check_snapshot, open_snapshot
from entra_kri.storage import atomic_output
from entra_kri.tenant_text import visible

CONFIG_OPTION = config_option("Configuration file whose tenant thresholds judge the statuses.")


def configured_thresholds(config: Config, tenant_id: str) -> dict[str, Any] | None:
    """The thresholds configured for `tenant_id`, merged over docs/kri.md's; None without any."""
    settings = config.for_tenant_id(tenant_id)
    return merge_thresholds(settings.thresholds) if settings else None


def _fail_on_problems(count: int, target: PurePath) -> None:
    if count:
        raise SnapshotError(
            f"{count} problem(s) in {target}: the files listed above do not match their "
            "manifests or the chain of manifests.",
            "Restore the named files or snapshots from a copy you trust; do not use the "
            "snapshots named above as evidence until they verify.",
        )


@click.command()
@click.argument("path", type=ROOT)
@click.option("--tenant", help="With a ROOT of several tenants: the tenant whose head to check.")
@click.option("--expect-head", metavar="SHA256",
              help="Fail unless the newest manifest's SHA-256 (the chain head) is this.")
def verify(path: PurePath, tenant: str | None, expect_head: str | None) -> None:
    """Check a snapshot, or every snapshot, the manifest chain and the history cache under
    ROOT."""
    if is_snapshot_dir(path):
        check = check_snapshot(path)
        for problem in check.problems:
            click.echo(visible(f"FAIL {problem}"))
        click.echo(visible(f"snapshot {path}: manifest SHA-256 {check.manifest_sha256}"))
        heads = {path.parent.name: check.manifest_sha256}
        problems = len(check.problems)
    else:
        chains = [verify_tenant(d) for d in tenant_dirs(path)]
        if not chains:
            raise SnapshotError(f"{path} holds no tenant directory.",
                                "Give a snapshot root (ROOT/<tenant_id>/<snapshot_id>/...).")
        problems = 0
        heads = {}
        for chain in chains:
            verified = {c.path.name: c.snapshot for c in chain.snapshots if c.snapshot}
            chain.problems += check_history(chain.tenant_dir, verified)
            for problem in chain.all_problems:
                click.echo(visible(f"FAIL {problem}"))
            problems += len(chain.all_problems)
            newest = chain.snapshots[-1].path.name if chain.snapshots else "none"
            click.echo(visible(f"tenant {chain.tenant_id}: {len(chain.snapshots)} snapshot(s), "
                               f"chain head {chain.head} ({newest})"))
            heads[chain.tenant_id] = chain.head
    if tenant is not None and tenant not in heads:
        raise ConfigurationError(f"No tenant {tenant!r} here.",
                                 f"Use one of: {', '.join(sorted(heads))}.")
    if expect_head:
        problems += _check_head(heads, tenant, expect_head.lower())
    _fail_on_problems(problems, path)
    click.echo("verified: every file matches its manifest and the chain is intact"
               + ("" if is_snapshot_dir(path) else
                  "; every cached KRI value matches its snapshot"))


def _check_head(heads: dict[str, str | None], tenant: str | None, expected: str) -> int:
    if tenant is None:
        if len(heads) != 1:
            raise ConfigurationError(
                f"The root holds {len(heads)} tenants, so --expect-head needs --tenant.",
                f"Add --tenant with one of: {', '.join(sorted(heads))}.",
            )
        (tenant,) = heads
    if heads[tenant] == expected:
        return 0
    click.echo(visible(f"FAIL tenant {tenant}: chain head is {heads[tenant]}, expected "
                       f"{expected}: snapshots were added, removed or replaced since the head "
                       "was recorded"))
    return 1


@click.command()
@click.argument("snapshot_dir", type=ROOT)
@click.argument("slug")
@format_option("table", "json", "csv")
@CONFIG_OPTION
def explain(snapshot_dir: PurePath, slug: str, fmt: str, config_path: Path | None) -> None:
    """Show the rows behind one KRI of a snapshot (their count is the KRI value)."""
    snapshot = open_snapshot(snapshot_dir)
    thresholds = configured_thresholds(load_config(config_path), snapshot.tenant_id)
    (explanation,) = explain_kris(snapshot, [slug], thresholds)
    if fmt == "json":
        echo_pieces(json.JSONEncoder(indent=2).iterencode(explanation.as_dict()))
        click.echo()
        return
    if fmt == "csv":
        click.echo(render_csv(explanation.columns, explanation.rows), nl=False)
        return
    kri = explanation.kri
    notes = [explanation.summary]
    if explanation.service_principals:
        notes.append("Service principals in roles (not counted):")
        notes += [f"- {sp['display_name']} ({sp['id']}): {sp['role_display_name']}"
                  for sp in explanation.service_principals]
    notes += [f"warning: {w}" for w in kri.warnings]
    notes.append(f"sql_sha256 {kri.sql_sha256}, tool_version {kri.tool_version}")
    title = (f"{kri.slug} = {kri.value} ({kri.status}{', degraded' if kri.degraded else ''})"
             f" in snapshot {explanation.snapshot.snapshot_id}")
    if slug in RECORD_LAYOUT:
        echo_pieces(render_records(explanation.columns, explanation.rows, title=title,
                                   notes=notes))
        return
    click.echo(render_table(explanation.columns, explanation.rows, title=title, notes=notes),
               nl=False)


def echo_pieces(pieces: Iterable[str], size: int = 1 << 20) -> None:
    """Echo `pieces` of text about `size` characters at a time, as they come: an explain
    of a hundred thousand rows (a gigabyte of JSON) is written, never held whole."""
    batch: list[str] = []
    held = 0
    for piece in pieces:
        batch.append(piece)
        held += len(piece)
        if held >= size:
            click.echo("".join(batch), nl=False)
            batch, held = [], 0
    click.echo("".join(batch), nl=False)


@click.command()
@click.argument("snapshot_dir", type=ROOT)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The zip file to write.")
def evidence(snapshot_dir: PurePath, out: Path) -> None:
    """Write an evidence pack (zip) of a snapshot: files, SQL, KRIs, explain rows, README."""
    with atomic_output(out) as temporary:
        names = write_evidence(snapshot_dir, temporary)
    click.echo(f"{out}: {len(names)} files")


@click.command()
@click.argument("old", type=ROOT)
@click.argument("new", type=ROOT)
@format_option("table", "json")
@click.option("--exit-code", is_flag=True,
              help="Exit with 1 when there are differences (as `git diff --exit-code`).")
@click.pass_context
def diff(ctx: click.Context, old: PurePath, new: PurePath, fmt: str, exit_code: bool) -> None:
    """Show what changed between two snapshots: users, MFA, roles, CA policies, KRIs."""
    data = diff_snapshots(old, new)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(render_diff_table(data), nl=False)
    if exit_code and data["has_differences"]:
        ctx.exit(1)


DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command()
@click.argument("root", type=ROOT)
@root_tenant_option
@click.option("--since", type=DATE, help="First day (YYYY-MM-DD, UTC), inclusive.")
@click.option("--until", type=DATE, help="Last day (YYYY-MM-DD, UTC), inclusive.")
@click.option("--kri", "slugs", multiple=True, metavar="SLUG", help="Only this KRI (repeatable).")
@format_option("table", "json", "csv", "png")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="File for --format png (default: trend-<tenant>.png).")
@CONFIG_OPTION
def trend(root: PurePath, tenant: str | None, since: datetime | None, until: datetime | None,
          slugs: tuple[str, ...], fmt: str, out: Path | None, config_path: Path | None) -> None:
    """Show KRI values of every complete snapshot in range, oldest first, from the cache."""
    config = load_config(config_path)
    tenant_id = find_tenant_dir(root, config.tenant_id_for(tenant)).name
    thresholds = configured_thresholds(config, tenant_id)
    history = kri_history(root, tenant_id, since.date() if since else None,
                          until.date() if until else None, slugs or None, thresholds=thresholds)
    cached = sum(p.from_cache for p in history.points)
    if cached:
        click.echo(f"note: {cached} of {len(history.points)} value(s) come from the history "
                   "cache and were not recomputed in this run; `entra-kri verify ROOT` "
                   "rechecks them against their snapshots.", err=True)
    if fmt == "png":
        target = out or Path(f"trend-{history.tenant_id}.png")
        with atomic_output(target) as temporary:
            write_png(history, temporary, thresholds)
        click.echo(visible(str(target)))
        return
    click.echo(render_trend(history, fmt), nl=False)


def _variables(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"{value!r} is not NAME=VALUE.")
        pairs[name] = text
    return pairs


@click.command()
@click.argument("root", type=ROOT)
@click.argument("sql", required=False)
@click.option("--example", metavar="NAME", help="Run a named example query instead of SQL.")
@click.option("--var", "variables", multiple=True, callback=_variables, metavar="NAME=VALUE",
              help="Set a DuckDB variable for getvariable('NAME') (repeatable).")
@root_tenant_option
@format_option("table", "json", "csv")
@config_option("Configuration file whose tenant names --tenant accepts.")
def query(root: PurePath, sql: str | None, example: str | None, variables: dict[str, str],
          tenant: str | None, fmt: str, config_path: Path | None) -> None:
    """Run SQL over every snapshot of a tenant; each collection is a view (no SQL: examples)."""
    if sql and example:
        raise click.UsageError("Give SQL or --example, not both.")
    if not sql and not example:
        click.echo("Example queries (run with --example NAME):")
        for name, description in examples().items():
            click.echo(f"  {name:<28} {description}")
        return
    tenant_id = load_config(config_path).tenant_id_for(tenant) if tenant else None
    columns, rows = run_query(root, sql or example_sql(str(example)), tenant_id, variables)
    if fmt == "json":
        click.echo(json.dumps({"columns": list(columns), "rows": rows}, indent=2))
    elif fmt == "csv":
        click.echo(render_csv(columns, rows), nl=False)
    else:
        click.echo(render_table(columns, rows, notes=[f"{len(rows)} row(s)"], width=160),
                   nl=False)


COMMANDS: list[click.Command] = [verify, explain, evidence, diff, trend, query]


def register(group: click.Group) -> None:
    """Add the audit and history commands to the `entra-kri` group."""
    for command in COMMANDS:
        group.add_command(command)

