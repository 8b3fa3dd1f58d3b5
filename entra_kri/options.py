"""Options shared by several commands, each written once as a decorator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

import click

from entra_kri.config import CLOUD_NAMES
from entra_kri.snapshot.roots import open_root, require_existing
from entra_kri.snapshot.storage import LOCAL

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]
CONFIG_LOOKUP = "$ENTRA_KRI_CONFIG, ./entra-kri.toml, ~/.config/entra-kri/config.toml"


class RootType(click.ParamType):
    """A snapshot root or snapshot: a local directory (checked as click.Path checks it), or
    an object store URL (docs/object-storage.md), given to the command as a `PurePath`
    that knows its store. With `exists`, an empty or missing one is refused here."""

    name = "directory"

    def __init__(self, exists: bool = True) -> None:
        self.exists = exists
        self.local = click.Path(path_type=Path, file_okay=False, exists=exists)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> PurePath:
        if isinstance(value, PurePath):
            return value
        root = open_root(value)
        if root.storage is LOCAL:
            return self.local.convert(value, param, ctx)
        if self.exists:
            require_existing(root)
        return root.path


ROOT = RootType()


def config_option(help: str = f"Configuration file (default: {CONFIG_LOOKUP}).") -> Decorator:
    """`--config FILE`, passed to the command as `config_path`."""
    return click.option("--config", "config_path",
                        type=click.Path(path_type=Path, dir_okay=False), help=help)


def root_tenant_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--tenant` of a command that reads a snapshot root, passed as `tenant`; the command
    turns it into a tenant id with `Config.tenant_id_for`."""
    option = click.option("--tenant", help="Tenant id, or a tenant name of the configuration "
                                           "file; may be left out when ROOT holds one tenant.")
    return option(command)


def format_option(*choices: str) -> Decorator:
    """`--format`, passed as `fmt`; the first choice is the default."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0],
                        show_default=True, help="Output format.")


def connection_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Which tenant to read and how to reach it. Each option overrides its environment
    variable (ENTRA_KRI_TENANT_ID...), which overrides the configuration file."""
    options = [
        config_option(),
        click.option("--tenant", help="A tenant of the configuration file, by name or id."),
        click.option("--tenant-id", envvar="ENTRA_KRI_TENANT_ID",
                     help="Directory (tenant) ID (a GUID)."),
        click.option("--client-id", envvar="ENTRA_KRI_CLIENT_ID",
                     help="Application (client) ID of the app registration (a GUID)."),
        click.option("--cloud", envvar="ENTRA_KRI_CLOUD", type=click.Choice(CLOUD_NAMES),
                     help="National cloud: sets the Graph and login hosts [default: global]."),
        click.option("--graph-url", envvar="ENTRA_KRI_GRAPH_URL",
                     help="Graph root, e.g. https://graph.microsoft.com/v1.0."),
        click.option("--login-url", envvar="ENTRA_KRI_LOGIN_URL",
                     help="Login host, e.g. https://login.microsoftonline.com."),
        click.option("--ca-bundle", envvar="ENTRA_KRI_CA_BUNDLE",
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="PEM of CA certificates to trust for every HTTPS call."),
        click.option("--client-secret-file", "secret_file",
                     type=click.Path(path_type=Path, dir_okay=False),
                     help="Read the client secret from this file (chmod 600) instead of "
                          "ENTRA_KRI_CLIENT_SECRET."),
        click.option("--certificate", type=click.Path(path_type=Path, dir_okay=False),
                     help="Sign in with a certificate: PEM with the private key and the "
                          "certificate registered on the app."),
        click.option("--keyring", help="Read the client secret from the OS keyring under "
                                       "this service name (user: the client id)."),
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), command)
