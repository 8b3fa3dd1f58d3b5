"""The `entra-kri` command line. Expected failures become one paragraph and an exit status here."""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from entra_kri import __version__
from entra_kri.errors import ConfigurationError, EntraKriError

GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
REPLAY_SECRET = "replayed-from-cassette"  # msal wants a credential; the cassette answers


class EntraKriGroup(click.Group):
    """Maps every `EntraKriError` to click's error display and the error's exit status."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EntraKriError as exc:
            error = click.ClickException(exc.message)
            error.exit_code = exc.exit_code
            raise error from exc


@click.group(cls=EntraKriGroup)
@click.version_option(__version__, prog_name="entra-kri")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
def cli(quiet: bool) -> None:
    """Snapshot Microsoft Entra ID through Graph, then compute identity-risk KRIs offline."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("entra-kri: %(levelname)s: %(message)s"))
    logger = logging.getLogger("entra_kri")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def _guid(label: str) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    def validate(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None and not GUID.match(value):
            raise click.BadParameter(f"{value!r} is not a GUID; copy the {label} from the app "
                                     "registration's Overview page.")
        return value.lower() if value else value
    return validate


def connection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say which tenant to read and how to reach it."""
    options = [
        click.option("--tenant-id", callback=_guid("Directory (tenant) ID"),
                     help="Directory (tenant) ID (a GUID)."),
        click.option("--client-id", callback=_guid("Application (client) ID"),
                     help="Application (client) ID of the app registration (a GUID)."),
        click.option("--cloud", default="global", show_default=True,
                     type=click.Choice(["global", "usgov", "usgovdod", "china"]),
                     help="National cloud: sets the Graph and login hosts."),
        click.option("--graph-url", help="Graph root, e.g. https://graph.microsoft.com/v1.0."),
        click.option("--login-url", help="Login host, e.g. https://login.microsoftonline.com."),
        click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False),
                     help="PEM of CA certificates to trust for every HTTPS call."),
        click.option("--client-secret-file", type=click.Path(path_type=Path, dir_okay=False),
                     help="Read the client secret from this file instead of "
                          "ENTRA_KRI_CLIENT_SECRET."),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), command)


def _connection(tenant_id: str | None, client_id: str | None, cloud: str,
                graph_url: str | None, login_url: str | None, ca_bundle: str | None) -> Any:
    from snapshotter.clouds import resolve_cloud
    from snapshotter.session import Connection

    if not tenant_id or not client_id:
        raise ConfigurationError(
            "Both --tenant-id and --client-id are needed.",
            "Copy them from the app registration's Overview page in the Entra admin center.",
        )
    return Connection(tenant_id, client_id, resolve_cloud(cloud, graph_url, login_url), ca_bundle)


@cli.command()
@connection_options
@click.option("--out", "root", type=click.Path(path_type=Path, file_okay=False),
              default=Path("snapshots"), show_default=True, help="Snapshot root directory.")
@click.option("--signin-window-hours", type=click.IntRange(1, 24 * 30), default=24,
              show_default=True, help="How far back sign-ins and audits are captured.")
@click.option("--replay", type=click.Path(path_type=Path, dir_okay=False),
              help="Capture from a recorded cassette instead of the network.")
@click.option("--record", type=click.Path(path_type=Path, dir_okay=False),
              help="Also record the run into a scrubbed cassette (no secret, no token).")
def snapshot(tenant_id: str | None, client_id: str | None, cloud: str, graph_url: str | None,
             login_url: str | None, ca_bundle: str | None, client_secret_file: Path | None,
             root: Path, signin_window_hours: int, replay: Path | None,
             record: Path | None) -> None:
    """Capture the tenant into ROOT/<tenant_id>/<snapshot_id>/ and print that path."""
    from snapshotter import cassette
    from snapshotter.capture import take_snapshot
    from snapshotter.session import read_secret

    if replay and record:
        raise click.UsageError("--replay and --record cannot be used together.")
    now = datetime.now(UTC).replace(microsecond=0)
    context = cassette.replaying(replay) if replay else (
        cassette.recording(record) if record else cassette.no_cassette())
    with context as tape:
        if tape is not None:
            run = cassette.pinned(tape, {
                "captured_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "tenant_id": tenant_id,
                "client_id": client_id, "cloud": cloud, "graph_url": graph_url,
                "login_url": login_url, "signin_window_hours": signin_window_hours})
            now = datetime.strptime(run["captured_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            tenant_id, client_id, cloud = run["tenant_id"], run["client_id"], run["cloud"]
            graph_url, login_url = run["graph_url"], run["login_url"]
            signin_window_hours = run["signin_window_hours"]
        connection = _connection(tenant_id, client_id, cloud, graph_url, login_url, ca_bundle)
        secret = REPLAY_SECRET if replay else read_secret(client_secret_file)
        path = take_snapshot(connection, secret, root, now, timedelta(hours=signin_window_hours))
    click.echo(str(path))


@cli.command()
@connection_options
def check(tenant_id: str | None, client_id: str | None, cloud: str, graph_url: str | None,
          login_url: str | None, ca_bundle: str | None, client_secret_file: Path | None) -> None:
    """Test the connection: token, tenant, granted permissions, licence-gated APIs."""
    from snapshotter.auth import REQUIRED_PERMISSIONS
    from snapshotter.check import run_check
    from snapshotter.session import read_secret

    connection = _connection(tenant_id, client_id, cloud, graph_url, login_url, ca_bundle)
    client = connection.client(read_secret(client_secret_file))
    report = run_check(client, connection.cloud.graph_url)
    click.echo(f"Tenant: {report.tenant_name} ({report.tenant_id or connection.tenant_id})")
    click.echo("Token: ok")
    click.echo("Application permissions:")
    for permission in REQUIRED_PERMISSIONS:
        state = ("unknown" if report.roles is None else
                 "granted" if permission in report.roles else "MISSING")
        click.echo(f"  {permission:<20} {state}")
    click.echo("Licence-gated APIs:")
    for label, state in report.probes.items():
        click.echo(f"  {label:<56} {state}")
    if not report.ok:
        raise EntraKriError(
            "The app lacks " + ", ".join(report.missing) + ".",
            "In the app registration open API permissions, add them as Microsoft Graph "
            "application permissions and click 'Grant admin consent'.",
        )


@cli.command()
@click.argument("snapshot_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="Output format.")
def kri(snapshot_dir: Path, fmt: str) -> None:
    """Compute the seven KRIs of a snapshot, after verifying its files against the manifest."""
    from analysis.compute import compute_kris
    from analysis.render import render

    click.echo(render(compute_kris(snapshot_dir), fmt), nl=False)


def main() -> None:
    cli(prog_name="entra-kri")


if __name__ == "__main__":
    main()
