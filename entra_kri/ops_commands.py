"""Scheduled operation: `run` (snapshot + KRIs + history), `runs`, `prune` and `gc`."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path, PurePath

import click

from entra_kri.analysis.compute import compute_kris
from entra_kri.analysis.history import kri_history
from entra_kri.analysis.thresholds import merge_thresholds
from entra_kri.config import TenantSettings, load_config
from entra_kri.errors import ConfigurationError
from entra_kri.lock import LockedError, tenant_lock
from entra_kri.options import CONFIG_LOOKUP, ROOT, config_option, format_option
from entra_kri.prune import plan_prune, prune
from entra_kri.runlog import STARTED, RunRecord, append_run, read_runs, run_record_path
from entra_kri.shard import parse_shard
from entra_kri.snapshot.leftovers import find_leftovers, remove_leftover
from entra_kri.snapshot.roots import Root, open_root, storage_of
from entra_kri.snapshot.storage import Storage
from entra_kri.snapshot.tree import tenant_dirs
from entra_kri.snapshot.validate import open_snapshot
from entra_kri.snapshotter.http import RequestStats
from entra_kri.storage import expected_failure, is_storage_error, storage_error
from entra_kri.tenant_capture import tenant_capture
from entra_kri.tenant_text import visible

log = logging.getLogger("entra_kri.run")

EXIT_FAILED = 1
EXIT_RISK = 3
FAIL_ON = ("warn", "breach", "degraded")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_tenant(root: Root, settings: TenantSettings, run_id: str) -> RunRecord:
    """Snapshot, KRIs and history for one tenant under its lock; the record says how it went."""
    tenant_dir = root.path / settings.tenant_id
    started = _now()
    record = RunRecord(run_id, settings.name, settings.tenant_id, _iso(started))
    _keep(tenant_dir, record, root.storage)  # a run killed with kill -9 still leaves its start
    stats: RequestStats | None = None
    try:
        with tenant_capture(settings, root) as capture:
            stats = capture.stats
            path = capture.take(started)
            snapshot = open_snapshot(path, root.storage)
            record.snapshot_id = snapshot.snapshot_id
            record.rows = {c.name: c.items for c in snapshot.manifest.collections}
            report = compute_kris(snapshot, merge_thresholds(settings.thresholds), settings.kris)
            # The capture's own warnings, then each KRI's (a refusal is worded there, once).
            record.warnings = list(dict.fromkeys(
                [*report.warnings, *(w for k in report.kris for w in k.warnings)]))
            record.kris = {k.slug: {"value": k.value, "status": k.status,
                                    "degraded": k.degraded} for k in report.kris}
            kri_history(root.path, settings.tenant_id, slugs=settings.kris)
            record.outcome = "ok"
    except Exception as exc:  # one tenant's failure or bug must not stop the others
        named, failure = _named(settings.name, settings.tenant_id), expected_failure(exc)
        if failure is not None:
            record.outcome, record.error = "failed", failure.message
            log.error("tenant %s: %s", named, failure.message)
        else:
            record.outcome, record.error = "failed", f"{type(exc).__name__}: {exc}"
            log.error("tenant %s: unexpected error %s (the traceback: run with --verbose)",
                      named, record.error)
            log.debug("tenant %s: traceback of the unexpected error", named, exc_info=True)
    except BaseException:
        record.outcome, record.error = "failed", "interrupted"
        raise
    finally:
        if stats is not None:
            record.requests, record.retries = stats.requests, stats.retries
            record.throttled = stats.throttled
            record.waited_seconds = round(stats.waited_seconds, 1)
        record.ended = _iso(_now())
        _keep(tenant_dir, record, root.storage)
    return record


def _keep(tenant_dir: PurePath, record: RunRecord, storage: Storage) -> None:
    """Write the record's line; a full or read-only disk or a store's refusal is logged,
    naming where the line was to go, and never stops the run."""
    path = run_record_path(tenant_dir, record, storage)
    try:
        append_run(tenant_dir, record, storage)
    except Exception as exc:  # an Azure or GCS refusal is no OSError
        if is_storage_error(exc):
            why = storage_error(exc, path).message  # it names the path
        else:
            failure = expected_failure(exc)
            if failure is None and not isinstance(exc, OSError):
                raise
            why = f"{path}: {exc if failure is None else failure.message}"
        log.error("tenant %s: the run record could not be kept: %s",
                  _named(record.tenant, record.tenant_id), why)


def _named(name: str, tenant_id: str) -> str:
    """A tenant as failure messages name it: its configured name and its id."""
    return tenant_id if name == tenant_id else f"{name} ({tenant_id})"


def _reached(record: RunRecord, fail_on: str) -> bool:
    if fail_on == "degraded":
        return any(k["degraded"] for k in record.kris.values())
    levels = ("breach",) if fail_on == "breach" else ("warn", "breach")
    return any(k["status"] in levels for k in record.kris.values())


@click.command()
@config_option()
@click.option("--tenant", "tenants", multiple=True, help="A configured tenant (repeatable).")
@click.option("--all", "all_tenants", is_flag=True, help="Every tenant of the configuration.")
@click.option("--shard", "shard_text", metavar="K/N",
              help="With --all, only the tenants of shard K of N (K from 0), by a stable hash "
                   "of their names: N workers with K = 0..N-1 cover the fleet once.")
@click.option("--fail-on", type=click.Choice(FAIL_ON),
              help="Also exit 3 when a KRI reaches this state, so schedulers can alert on risk.")
def run(config_path: Path | None, tenants: tuple[str, ...], all_tenants: bool,
        shard_text: str | None, fail_on: str | None) -> None:
    """Snapshot, compute KRIs and update history for configured tenants (for schedulers)."""
    config = load_config(config_path)
    if not config.tenants:
        raise ConfigurationError("No tenant is configured.",
                                 "Write an entra-kri.toml (see docs/configuration.md).")
    if all_tenants == bool(tenants):
        raise click.UsageError("Give either --tenant NAME (one or more) or --all.")
    if shard_text is not None and not all_tenants:
        raise click.UsageError("--shard splits --all between workers: give it with --all.")
    chosen = list(config.tenants.values()) if all_tenants else [config.tenant(t) for t in tenants]
    if shard_text is not None:
        shard = parse_shard(shard_text)
        chosen = [settings for settings in chosen if shard.holds(settings.name)]
        log.info("shard %s: %d of %d tenant(s)", shard, len(chosen), len(config.tenants))
    root = open_root(config.root).retaining(config.retention)  # once: it may ask the store
    run_id = uuid.uuid4().hex[:12]
    records = [run_tenant(root, settings, run_id) for settings in chosen]
    for record in records:
        summary = ", ".join(f"{slug}={k['value']} {k['status']}"
                            for slug, k in record.kris.items())
        click.echo(visible(f"{record.tenant}: {record.outcome} {record.snapshot_id or '-'} "
                           f"{summary}"))
    failed = [_named(r.tenant, r.tenant_id) for r in records if r.outcome != "ok"]
    if failed:
        log.error("run %s: %d of %d tenant(s) failed: %s", run_id, len(failed), len(records),
                  ", ".join(failed))
        raise click.exceptions.Exit(EXIT_FAILED)
    if fail_on and any(_reached(r, fail_on) for r in records):
        log.warning("run %s: a KRI reached %s", run_id, fail_on)
        raise click.exceptions.Exit(EXIT_RISK)


@click.command()
@click.argument("root", type=ROOT)
@format_option("table", "json")
@click.option("--last", type=click.IntRange(min=1), help="Only the last N runs.")
def runs(root: PurePath, fmt: str, last: int | None) -> None:
    """List the recorded runs under ROOT: when, outcome, rows, retries, 429s, warnings."""
    history = read_runs(root, storage_of(root))
    history = history[-last:] if last else history
    if fmt == "json":
        click.echo(json.dumps(history, indent=2))
        return
    for r in history:
        rows = sum(r.get("rows", {}).values())
        note = (f"  error: {r['error']}" if r.get("error") else
                "  never finished: still running, or killed" if r["outcome"] == STARTED else "")
        click.echo(visible(
            f"{r['started']}  {r['run_id']}  {r['tenant']:<16} {r['outcome']:<7} "
            f"{r.get('snapshot_id') or '-':<16} rows={rows} retries={r['retries']} "
            f"429s={r['throttled']} warnings={len(r['warnings'])}{note}"))


@click.command(name="prune")
@click.argument("root", type=ROOT)
@config_option(help="Configuration file whose retention_days is respected (default: "
                    f"{CONFIG_LOOKUP}).")
@click.option("--keep-daily", type=click.IntRange(min=0), required=True,
              help="Keep the newest snapshot of each of the last N days that have one.")
@click.option("--keep-monthly", type=click.IntRange(min=0), default=0, show_default=True,
              help="Keep the newest snapshot of each of the last M months that have one.")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
def prune_command(root: PurePath, config_path: Path | None, keep_daily: int,
                  keep_monthly: int, dry_run: bool) -> None:
    """Remove old snapshots, recording each by hash so `verify`'s chain stays intact; never
    one still under retention (the configuration's retention_days, or the store's lock)."""
    retention, storage = load_config(config_path).retention, storage_of(root)
    for tenant_dir in tenant_dirs(root, storage):
        with tenant_lock(tenant_dir, storage):
            plan = plan_prune(tenant_dir, keep_daily, keep_monthly, retention, storage=storage)
            for path, reason in plan.retained.items():
                click.echo(visible(f"kept {path}: {reason}"))
            for path in plan.prune:
                click.echo(visible(f"{'would prune' if dry_run else 'pruned'} {path}"))
            if not dry_run:
                prune(tenant_dir, plan, storage)
            retained = f" ({len(plan.retained)} under retention)" if plan.retained else ""
            click.echo(f"{tenant_dir.name}: kept {len(plan.keep)}{retained}, "
                       f"{'would prune' if dry_run else 'pruned'} {len(plan.prune)}")


@click.command()
@click.argument("root", type=ROOT)
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
def gc(root: PurePath, dry_run: bool) -> None:
    """Remove what killed captures left under ROOT: files without a manifest, unfinished uploads."""
    verb, storage = "would remove" if dry_run else "removed", storage_of(root)
    for tenant_dir in tenant_dirs(root, storage):
        try:
            with tenant_lock(tenant_dir, storage):
                leftovers = find_leftovers(tenant_dir, storage)
                for leftover in leftovers:
                    if not dry_run:
                        remove_leftover(leftover, storage)
                    click.echo(visible(f"{verb} {leftover.what} {leftover.path}"))
        except LockedError as exc:
            log.warning("tenant %s skipped: %s", tenant_dir.name, exc.message)
            continue
        click.echo(f"{tenant_dir.name}: {verb} {len(leftovers)}")


def register(group: click.Group) -> None:
    for command in (run, runs, prune_command, gc):
        group.add_command(command)
