"""How entra-kri opens Azure Blob and Google Cloud Storage: the parts that differ from S3.

Azure: `abfs[s]://CONTAINER@ACCOUNT.dfs.core.windows.net/PREFIX` is the usual
spelling of an ADLS Gen2 path; the account it names is used, and must be the one
the environment's credentials are for (AZURE_STORAGE_CONNECTION_STRING or
AZURE_STORAGE_ACCOUNT_NAME), so that no command reads one account with another's
key. Without an account in the URL, adlfs takes it from the environment.

GCS: gcsfs's plain JSON API filesystem (every request an HTTPS call to the
storage endpoint), with Google's application default credentials and nothing
else; with STORAGE_EMULATOR_HOST set (a local emulator) anonymous, as Google's
own client library does there (docs/object-storage.md).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from entra_kri.errors import ConfigurationError

AZURE_SCHEMES = frozenset({"az", "abfs", "abfss"})
"""The URL schemes of Azure Blob Storage (adlfs)."""

# CONTAINER@ACCOUNT.(dfs|blob).ENDPOINT-SUFFIX, the host part of an ADLS Gen2 URL.
_AZURE_HOST = re.compile(
    r"\A(?P<container>[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?)"
    r"@(?P<account>[a-z0-9]{3,24})\.(?:dfs|blob)\.(?P<suffix>[a-z0-9.-]+)\Z")
_CONNECTION_ACCOUNT = re.compile(r"(?:\A|;)\s*AccountName=([^;]*)", re.IGNORECASE)


@dataclass(frozen=True)
class AzureLocation:
    """Where an az:// or abfs:// URL points: its container and key (no account), and the
    storage account and blob endpoint host it names, if it names one."""

    key: str
    account: str | None = None
    account_host: str | None = None


def azure_location(rest: str) -> AzureLocation | None:
    """`rest` (the URL after `scheme://`) with a `CONTAINER@ACCOUNT.dfs.…` host read apart;
    None if its first part is no such host (it is then a plain container name)."""
    host, _, prefix = rest.partition("/")
    found = _AZURE_HOST.match(host)
    if found is None:
        return None
    key = "/".join(part for part in (found["container"], prefix) if part)
    return AzureLocation(key, found["account"],
                         f"{found['account']}.blob.{found['suffix']}")


def azure_options(location: AzureLocation, url: str) -> dict[str, Any]:
    """adlfs's options for `location`; ConfigurationError if the URL names another
    account than the environment's credentials are for."""
    if location.account is None:
        return {}
    configured = environment_azure_account()
    if configured is not None and configured.lower() != location.account:
        raise ConfigurationError(
            f"{url}: the URL names the storage account '{location.account}', but the "
            f"environment's Azure credentials are for the account '{configured}'.",
            "Give the credentials of the account the URL names (AZURE_STORAGE_"
            "CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_NAME and its key), or write the "
            "URL as az://CONTAINER/PREFIX to use the environment's account.")
    return {"account_name": location.account, "account_host": location.account_host}


def environment_azure_account() -> str | None:
    """The storage account that the AZURE_STORAGE_* variables name, if any."""
    connection = os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
    if connection:
        found = _CONNECTION_ACCOUNT.search(connection)
        return found.group(1).strip() if found else None
    return os.environ.get("AZURE_STORAGE_ACCOUNT_NAME") or None


def gcs_options() -> dict[str, Any]:
    """gcsfs's credentials: Google's application default credentials, or anonymous
    against a local emulator (STORAGE_EMULATOR_HOST)."""
    if os.environ.get("STORAGE_EMULATOR_HOST"):
        return {"token": "anon"}
    return {"token": "google_default"}


def credentials_refused(extra: str, url: str, exc: Exception) -> ConfigurationError | None:
    """The error to give when opening the `extra` store's filesystem failed with `exc`
    because the environment holds no usable credentials; None for any other failure.

    adlfs says so with a ValueError whose text is not repeated (it may quote the
    malformed connection string); google-auth names the file or source it tried.
    """
    if extra == "azure" and isinstance(exc, ValueError):
        return ConfigurationError(
            f"{url}: no usable Azure Storage credentials in the environment "
            "(AZURE_STORAGE_CONNECTION_STRING is unset, empty or malformed, and no "
            "account is named).",
            "Set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME with "
            "AZURE_STORAGE_ACCOUNT_KEY or AZURE_STORAGE_SAS_TOKEN, or AZURE_STORAGE_"
            "ACCOUNT_NAME alone to sign in with Azure AD (az login, a managed identity).")
    if extra == "gcs":
        from google.auth.exceptions import DefaultCredentialsError  # only the gcs extra has it

        if isinstance(exc, DefaultCredentialsError):
            said = str(exc).split(". ")[0][:200]
            return ConfigurationError(
                f"{url}: no Google application default credentials ({said}).",
                "Run `gcloud auth application-default login`, or set "
                "GOOGLE_APPLICATION_CREDENTIALS to a service account key file, or run "
                "where the metadata server gives the machine an identity.")
    return None
