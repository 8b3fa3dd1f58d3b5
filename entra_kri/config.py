"""entra-kri.toml: tenants, endpoints, secrets, KRI selection and thresholds.

The schema is in docs/configuration.md. Every
mistake is reported with its key, all at once, so a user fixes the file in one
pass. Values here are the file's; environment variables and command-line
options override them where the CLI merges them (`TenantSettings.merged`).
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from entra_kri.analysis.thresholds import merge_thresholds
from entra_kri.errors import ConfigurationError
from entra_kri.kris import DEFAULT_THRESHOLDS, KRI_SLUGS
from entra_kri.snapshot.layout import is_guid
from entra_kri.snapshot.retention import MAX_RETENTION_DAYS, RETENTION_MODES, Retention
from entra_kri.snapshot.roots import is_url
from entra_kri.snapshotter.credentials import DEFAULT_SECRET_ENV

CONFIG_ENV = "ENTRA_KRI_CONFIG"
CLOUD_NAMES = ("global", "usgov", "usgovdod", "china")
# POSIX: the environment variable names of its utilities are capitals, digits and _.
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")

TOP_KEYS = {"root", "tenants", "retention_days", "retention_mode"}
TENANT_KEYS = {
    "tenant_id", "client_id", "cloud", "graph_url", "login_url", "secret_env", "secret_file",
    "keyring", "certificate", "certificate_thumbprint", "ca_bundle", "kris",
    "signin_window_hours", "thresholds",
}


@dataclass(frozen=True)
class TenantSettings:
    """One `[tenants.NAME]` table, validated; paths resolved against the file's folder."""

    name: str
    tenant_id: str
    client_id: str
    cloud: str = "global"
    graph_url: str | None = None
    login_url: str | None = None
    secret_env: str = DEFAULT_SECRET_ENV
    secret_file: Path | None = None
    keyring: str | None = None
    certificate: Path | None = None
    certificate_thumbprint: str | None = None
    ca_bundle: Path | None = None
    kris: tuple[str, ...] | None = None
    signin_window_hours: int = 24
    thresholds: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def merged(self, **overrides: Any) -> TenantSettings:
        """These settings with every override that is not None applied."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


@dataclass(frozen=True)
class Config:
    path: Path | None
    root: Path | str  # a local directory, or an object store URL kept as written
    tenants: dict[str, TenantSettings]
    retention: Retention | None = None

    def tenant(self, name_or_id: str | None) -> TenantSettings:
        """The tenant named (or with that id); the only one when none is named."""
        if name_or_id is None:
            if len(self.tenants) == 1:
                return next(iter(self.tenants.values()))
            raise ConfigurationError(
                f"{self._where()} has {len(self.tenants)} tenants and none was chosen.",
                "Name one with --tenant NAME (or give --tenant-id and --client-id).",
            )
        for settings in self.tenants.values():
            if name_or_id in (settings.name, settings.tenant_id):
                return settings
        raise ConfigurationError(
            f"No tenant {name_or_id!r} in {self._where()}.",
            f"Known tenants: {', '.join(self.tenants) or 'none'}.",
        )

    def tenant_id_for(self, name_or_id: str | None) -> str | None:
        """The tenant id `--tenant` gives a command that reads a snapshot root: a configured
        tenant's id by its name, or the id itself (a root's tenant need not be configured);
        None (the root's only tenant) stays None."""
        if name_or_id is None:
            return None
        named = self.tenants.get(name_or_id)
        if named is not None:
            return named.tenant_id
        if is_guid(name_or_id):
            return name_or_id.lower()
        raise ConfigurationError(
            f"{name_or_id!r} is not a tenant id, and {self._where()} names no tenant "
            f"{name_or_id!r}.",
            f"Give a tenant id (a GUID) or a configured name: {', '.join(self.tenants)}."
            if self.tenants else
            "Give a tenant id (a GUID), or --config FILE whose [tenants.NAME] table names it.",
        )

    def for_tenant_id(self, tenant_id: str) -> TenantSettings | None:
        return next((t for t in self.tenants.values() if t.tenant_id == tenant_id), None)

    def _where(self) -> str:
        return str(self.path) if self.path else "the configuration (no file found)"


def find_config(explicit: Path | None) -> Path | None:
    """--config, else $ENTRA_KRI_CONFIG, else ./entra-kri.toml, else the user's config."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigurationError(f"No configuration file at {explicit}.",
                                     "Check the --config path.")
        return explicit
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        if not Path(from_env).is_file():
            raise ConfigurationError(f"{CONFIG_ENV} names {from_env}, which does not exist.",
                                     f"Fix or unset {CONFIG_ENV}.")
        return Path(from_env)
    for candidate in (Path("entra-kri.toml"), Path.home() / ".config/entra-kri/config.toml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: Path | None = None) -> Config:
    """The configuration in force; an empty one when there is no file."""
    path = find_config(explicit)
    if path is None:
        return Config(None, Path("snapshots"), {})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"Cannot read {path}: {exc}.",
                                 "Fix the TOML syntax (see docs/configuration.md).") from exc
    mistakes = config_mistakes(data, path.parent)
    if mistakes:
        raise ConfigurationError(
            f"{path} has {len(mistakes)} mistake(s): " + "; ".join(mistakes) + ".",
            "Fix them and run `entra-kri config check`.",
        )
    return _build(data, path)


def config_mistakes(data: dict[str, Any], base: Path) -> list[str]:
    """Every mistake in a parsed configuration, each naming its key."""
    mistakes = [f"unknown key '{key}'" for key in sorted(set(data) - TOP_KEYS)]
    if "root" in data and not isinstance(data["root"], str):
        mistakes.append("'root' must be a string (a directory or an object store URL)")
    mistakes += _retention_mistakes(data)
    tenants = data.get("tenants", {})
    if not isinstance(tenants, dict):
        return [*mistakes, "'tenants' must be a table of [tenants.NAME] tables"]
    for name, table in tenants.items():
        if not isinstance(table, dict):
            mistakes.append(f"'tenants.{name}' must be a table")
            continue
        mistakes += [f"tenants.{name}.{m}" for m in _tenant_mistakes(table, base)]
    return mistakes


def _retention_mistakes(data: dict[str, Any]) -> list[str]:
    days, mode = data.get("retention_days"), data.get("retention_mode")
    mistakes = []
    if days is not None and (isinstance(days, bool) or not isinstance(days, int)
                             or not 1 <= days <= MAX_RETENTION_DAYS):
        mistakes.append(f"retention_days: {days!r} is not a whole number of days, "
                        f"1-{MAX_RETENTION_DAYS}")
    if mode is not None and mode not in RETENTION_MODES:
        mistakes.append(f"retention_mode: {mode!r} is not one of {', '.join(RETENTION_MODES)}")
    if days is not None and mode is None:
        mistakes.append("retention_mode: missing; with retention_days choose 'governance' "
                        "(a user allowed to bypass it can still delete a snapshot early) or "
                        "'compliance' (nobody can, not even the account's administrator, "
                        "until the date has passed)")
    if mode is not None and days is None:
        mistakes.append("retention_days: missing; retention_mode needs the number of days "
                        "to keep each snapshot")
    return mistakes


def _tenant_mistakes(table: dict[str, Any], base: Path) -> list[str]:
    mistakes = [f"{key}: unknown key" for key in sorted(set(table) - TENANT_KEYS)]
    for key in ("tenant_id", "client_id"):
        value = table.get(key)
        if value is None:
            mistakes.append(f"{key}: missing (a GUID from the app registration's Overview page)")
        elif not is_guid(value):
            mistakes.append(f"{key}: {value!r} is not a GUID")
    if table.get("cloud", "global") not in CLOUD_NAMES:
        mistakes.append(f"cloud: {table['cloud']!r} is not one of {', '.join(CLOUD_NAMES)}")
    for key in ("graph_url", "login_url"):
        if key in table and not str(table[key]).startswith("https://"):
            mistakes.append(f"{key}: {table[key]!r} is not an https:// URL")
    for key in ("secret_env", "keyring", "certificate_thumbprint"):
        if key in table and not isinstance(table[key], str):
            mistakes.append(f"{key}: must be a string")
    if isinstance(table.get("secret_env"), str) and not ENV_NAME.match(table["secret_env"]):
        mistakes.append("secret_env: must be the name of an environment variable (capital "
                        "letters, digits and _, e.g. ENTRA_KRI_CLIENT_SECRET), not the secret "
                        "itself; the value is not shown in case it is one")
    secret_sources = [k for k in ("secret_file", "keyring", "certificate") if k in table]
    if len(secret_sources) > 1:
        mistakes.append(f"{' and '.join(secret_sources)}: choose one credential source")
    if "secret_file" in table:
        mistakes += _secret_file_mistakes(base / str(table["secret_file"]))
    if "certificate" in table and not (base / str(table["certificate"])).is_file():
        mistakes.append(f"certificate: no file at {base / str(table['certificate'])}")
    if "ca_bundle" in table and not (base / str(table["ca_bundle"])).is_file():
        mistakes.append(f"ca_bundle: no file at {base / str(table['ca_bundle'])}")
    kris = table.get("kris")
    if kris is not None:
        if not isinstance(kris, list) or not all(isinstance(k, str) for k in kris):
            mistakes.append("kris: must be a list of KRI slugs")
        else:
            mistakes += [f"kris: unknown KRI {k!r}" for k in kris if k not in KRI_SLUGS]
            if not kris:
                mistakes.append("kris: empty; no KRI would be computed (remove the key for all)")
    hours = table.get("signin_window_hours", 24)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 720:
        mistakes.append(f"signin_window_hours: {hours!r} is not a whole number of hours, 1-720")
    mistakes += _threshold_mistakes(table.get("thresholds", {}))
    return mistakes


def _secret_file_mistakes(path: Path) -> list[str]:
    if not path.is_file():
        return [f"secret_file: no file at {path}"]
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [f"secret_file: {path} is readable by other users (chmod 600 it)"]
    return []


def _threshold_mistakes(thresholds: Any) -> list[str]:
    if not isinstance(thresholds, dict):
        return ["thresholds: must be a table of {warn = …, breach = …} per KRI"]
    mistakes: list[str] = []
    for slug, levels in thresholds.items():
        if slug not in DEFAULT_THRESHOLDS:
            mistakes.append(f"thresholds.{slug}: unknown KRI")
            continue
        if not isinstance(levels, dict):
            mistakes.append(f"thresholds.{slug}: must be {{ warn = …, breach = … }}")
            continue
        own = [f"thresholds.{slug}.{key}: unknown key (warn or breach)"
               for key in levels if key not in ("warn", "breach")]
        own += [f"thresholds.{slug}.{key}: {value!r} is not a number"
                for key, value in levels.items() if key in ("warn", "breach")
                and (isinstance(value, bool) or not isinstance(value, int | float))]
        mistakes += own
        if not own:
            try:
                merge_thresholds({slug: levels})
            except ConfigurationError as exc:
                mistakes.append(f"thresholds.{slug}: {exc.cause}")
    return mistakes


def _build(data: dict[str, Any], path: Path) -> Config:
    base = path.parent

    def resolve(value: Any) -> Path | None:
        return None if value is None else base / str(value)

    tenants = {}
    for name, table in data.get("tenants", {}).items():
        tenants[name] = TenantSettings(
            name=name,
            tenant_id=table["tenant_id"].lower(),
            client_id=table["client_id"].lower(),
            cloud=table.get("cloud", "global"),
            graph_url=table.get("graph_url"),
            login_url=table.get("login_url"),
            secret_env=table.get("secret_env", DEFAULT_SECRET_ENV),
            secret_file=resolve(table.get("secret_file")),
            keyring=table.get("keyring"),
            certificate=resolve(table.get("certificate")),
            certificate_thumbprint=table.get("certificate_thumbprint"),
            ca_bundle=resolve(table.get("ca_bundle")),
            kris=tuple(table["kris"]) if "kris" in table else None,
            signin_window_hours=table.get("signin_window_hours", 24),
            thresholds=table.get("thresholds", {}),
        )
    retention = (Retention(data["retention_days"], data["retention_mode"])
                 if "retention_days" in data else None)
    root = data.get("root", "snapshots")
    return Config(path, root if is_url(root) else base / root, tenants, retention)


def settings_for_tenant(config: Config, tenant: str | None, **overrides: Any) -> TenantSettings:
    """The tenant to work on: from the file (by --tenant, by --tenant-id, or the only one),
    with the environment's and the command line's non-None values applied on top."""
    tenant_id = overrides.get("tenant_id")
    if tenant is not None:
        base = config.tenant(tenant)
    elif tenant_id is not None:
        base = config.for_tenant_id(tenant_id.lower()) or TenantSettings(
            name=tenant_id, tenant_id=tenant_id, client_id=overrides.get("client_id") or "")
    elif config.tenants:
        base = config.tenant(None)
    else:
        raise ConfigurationError(
            "No tenant given: neither --tenant-id nor a configuration file with a tenant.",
            "Give --tenant-id and --client-id (from the app registration's Overview page), or "
            "write an entra-kri.toml (see docs/configuration.md).",
        )
    settings = base.merged(**overrides)
    for key, label in (("tenant_id", "Directory (tenant) ID"),
                       ("client_id", "Application (client) ID")):
        value = getattr(settings, key)
        if not is_guid(value):
            raise ConfigurationError(
                f"The {key.replace('_', ' ')} {value!r} is not a GUID." if value else
                f"No {key.replace('_', ' ')} given.",
                f"Copy the {label} from the app registration's Overview page.",
            )
    return settings.merged(tenant_id=settings.tenant_id.lower(),
                           client_id=settings.client_id.lower())
