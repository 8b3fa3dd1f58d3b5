"""The `entra-kri` command line. Expected failures become one paragraph and an exit status here."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

import click

from entra_kri import __version__
from entra_kri.analysis.compute import compute_kris
from entra_kri.analysis.render import render
from entra_kri.analysis.thresholds import merge_thresholds
from entra_kri.audit_commands import register as register_audit_commands
from entra_kri.config import Config, TenantSettings, load_config, settings_for_tenant
from entra_kri.errors import ConfigurationError, EntraKriError
from entra_kri.lake_commands import register as register_lake_commands
from entra_kri.logs import configure_logging
from entra_kri.ops_commands import register as register_ops_commands
from entra_kri.options import RootType, config_option, connection_options, format_option
from entra_kri.report_command import register as register_report_command
from entra_kri.snapshot.roots import open_root
from entra_kri.snapshot.validate import open_snapshot
from entra_kri.snapshotter import cassette
from entra_kri.snapshotter.auth import REQUIRED_PERMISSIONS
from entra_kri.snapshotter.capture import WORKERS
from entra_kri.snapshotter.check import NO_SNAPSHOT, PROBES, run_check
from entra_kri.storage import StorageError, check_writable, expected_failure
from entra_kri.tenant_capture import connection_for, credential_source, tenant_capture
from entra_kri.tenant_text import visible

REPLAY_SECRET = "replayed-from-cassette"  # msal wants a credential; the cassette answers


class EntraKriGroup(click.Group):
    """Maps every `EntraKriError` to click's error display and the error's exit status, and
    a full disk or a read-only directory (entra_kri/storage.py) or an object store's
    refusal (entra_kri/snapshot/store_errors.py) to exit 1.

    A message may quote tenant strings or file names, so its controls are made visible.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            failure = expected_failure(exc)
            if failure is None:
                raise
            error = click.ClickException(visible(failure.message))
            error.exit_code = failure.exit_code
            raise error from exc


@click.group(cls=EntraKriGroup)
@click.version_option(__version__, prog_name="entra-kri")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.option("-v", "--verbose", is_flag=True,
              help="Debug lines too, with the traceback of an unexpected error.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Log lines on stderr: text, or one JSON object per line.")
def cli(quiet: bool, verbose: bool, log_format: str) -> None:
    """Snapshot Microsoft Entra ID through Graph, then compute identity-risk KRIs offline."""
    configure_logging(log_format, quiet, verbose)


def tenant_settings(config_path: Path | None, tenant: str | None,
                    **overrides: Any) -> tuple[Config, TenantSettings]:
    """The configuration file and the tenant's settings with env and options applied."""
    config = load_config(config_path)
    return config, settings_for_tenant(config, tenant, **overrides)


@cli.command()
@connection_options
@click.option("--out", "root", metavar="ROOT", envvar="ENTRA_KRI_ROOT",
              help="Snapshot root: a directory, or an object store URL such as "
                   "s3://bucket/prefix [default: the configuration's root, or snapshots].")
@click.option("--signin-window-hours", type=click.IntRange(1, 24 * 30),
              help="How far back sign-ins and audits are captured [default: 24].")
@click.option("--replay", type=click.Path(path_type=Path, dir_okay=False),
              help="Capture from a recorded cassette instead of the network.")
@click.option("--record", type=click.Path(path_type=Path, dir_okay=False),
              help="Also record the run into a scrubbed cassette (no secret, no token).")
def snapshot(config_path: Path | None, tenant: str | None, root: str | None,
             signin_window_hours: int | None, replay: Path | None, record: Path | None,
             **overrides: Any) -> None:
    """Capture the tenant into ROOT/<tenant_id>/<snapshot_id>/ and print that path."""
    if replay and record:
        raise click.UsageError("--replay and --record cannot be used together.")
    now = datetime.now(UTC).replace(microsecond=0)
    traffic = cassette.CassetteTraffic()
    context = cassette.replaying(replay) if replay else (
        cassette.recording(record, traffic) if record else cassette.no_cassette())
    settings_kwargs = dict(overrides, signin_window_hours=signin_window_hours)
    with context as tape:
        if replay:
            recorded = cassette.recorded_run(tape)
            now = recorded.pop("captured_at")
            settings_kwargs.update(recorded)
        config, settings = tenant_settings(config_path, tenant, **settings_kwargs)
        if record:
            cloud = connection_for(settings).cloud
            traffic.add(cloud.graph_url, cloud.login_url)
            cassette.record_run(tape, now, asdict(settings))
        written = open_root(root or config.root).retaining(config.retention)
        with tenant_capture(settings, written, REPLAY_SECRET if replay else None) as capture:
            path = capture.take(now, workers=1 if tape is not None else WORKERS)
    click.echo(str(path))


@cli.command()
@connection_options
def check(config_path: Path | None, tenant: str | None, **overrides: Any) -> None:
    """Test the connection: token, tenant, permissions, and what each collection answers."""
    _, settings = tenant_settings(config_path, tenant, **overrides)
    source = credential_source(settings)
    connection = connection_for(settings)
    report = run_check(connection.client(source.load()), connection.cloud.graph_url)
    click.echo(visible(f"Tenant: {report.tenant_name} "
                       f"({report.tenant_id or settings.tenant_id})"))
    click.echo("Token: ok")
    expiry = source.expiry()
    if expiry is not None:
        days = (expiry - datetime.now(UTC)).days
        click.echo(f"Certificate expires: {expiry:%Y-%m-%d} ({days} days)")
        if days < 30:
            logging.getLogger("entra_kri").warning(
                "The certificate expires in %d days: upload a new one to the app registration.",
                days)
    click.echo("Application permissions:")
    for permission in REQUIRED_PERMISSIONS:
        state = ("unknown" if report.roles is None else
                 "granted" if permission in report.roles else
                 f"MISSING, {report.cost_of_missing(permission)}")
        click.echo(f"  {permission:<20} {state}")
    click.echo("Collections:")
    for probe in PROBES:
        refusal = report.refusals.get(probe.label)
        state = "ok" if refusal is None else f"refused: {refusal}: {probe.cost}"
        click.echo(f"  {probe.label:<56} {state}")
    if not report.ok:
        refused = report.refused_required
        permissions = sorted({probe.collection.permission for probe in refused})
        raise EntraKriError(
            "Graph refused " + ", ".join(f"GET {p.label}" for p in refused)
            + f" ({report.refusals[refused[0].label]}): {NO_SNAPSHOT}.",
            "In the app registration open API permissions, add the Microsoft Graph "
            f"application permission(s) {', '.join(permissions)} and click "
            "'Grant admin consent'.",
        )


@cli.command()
@click.argument("snapshot_dir", type=RootType(exists=False))
@format_option("table", "json", "csv")
@config_option("Configuration file whose tenant thresholds and KRI selection apply.")
def kri(snapshot_dir: PurePath, fmt: str, config_path: Path | None) -> None:
    """Compute the KRIs of a snapshot, after verifying its files against the manifest."""
    snapshot = open_snapshot(snapshot_dir)
    settings = load_config(config_path).for_tenant_id(snapshot.tenant_id)
    report = compute_kris(
        snapshot,
        thresholds=merge_thresholds(settings.thresholds if settings else None),
        kris=settings.kris if settings else None,
    )
    click.echo(render(report, fmt), nl=False)


@cli.group()
def config() -> None:
    """Inspect the configuration file (entra-kri.toml)."""


@config.command("check")
@config_option("The file to check (default: the one the other commands would use).")
def config_check(config_path: Path | None) -> None:
    """Validate the configuration and name each mistake with its key."""
    loaded = load_config(config_path)
    if loaded.path is None:
        raise EntraKriError("No configuration file found (--config, $ENTRA_KRI_CONFIG, "
                            "./entra-kri.toml, ~/.config/entra-kri/config.toml).",
                            "Write one as described in docs/configuration.md.")
    root = open_root(loaded.root)
    root.retaining(loaded.retention)  # refused here if the store cannot keep it
    try:
        check_writable(root.path, root.storage)  # a probe never locked: it is removed
    except StorageError as exc:
        raise ConfigurationError(f"{loaded.path}: root {exc.cause}", exc.fix) from exc
    retention = f", {loaded.retention.describe()}" if loaded.retention else ""
    click.echo(visible(f"{loaded.path}: ok, root {loaded.root} (writable{retention})"))
    for name, settings in loaded.tenants.items():
        kris = ", ".join(settings.kris) if settings.kris else "all KRIs"
        click.echo(visible(f"  tenant {name}: {settings.tenant_id} ({settings.cloud}), {kris}"))


register_audit_commands(cli)
register_ops_commands(cli)
register_report_command(cli)
register_lake_commands(cli)


def main() -> None:
    cli(prog_name="entra-kri")


if __name__ == "__main__":
    main()
