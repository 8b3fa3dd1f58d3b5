"""Everything one capture run needs to talk to a tenant, built once from the options."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from entra_kri.errors import ConfigurationError
from snapshotter.auth import TokenProvider
from snapshotter.clouds import Cloud
from snapshotter.http import GraphClient, GraphSession
from snapshotter.retry import RetryPolicy

SECRET_ENV = "ENTRA_KRI_CLIENT_SECRET"


def read_secret(secret_file: Path | None, env_var: str = SECRET_ENV) -> str:
    """The client secret from a file (not readable by others) or the environment.

    Never from the command line: argv is visible to every user of the machine.
    """
    if secret_file is not None:
        try:
            mode = secret_file.stat().st_mode
            if mode & (stat.S_IROTH | stat.S_IWOTH):
                raise ConfigurationError(
                    f"The secret file {secret_file} is readable by other users.",
                    f"Restrict it: chmod 600 {secret_file}.",
                )
            secret = secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(
                f"Cannot read the secret file {secret_file} ({exc.strerror}).",
                "Check the path and its permissions.",
            ) from exc
    else:
        secret = os.environ.get(env_var, "").strip()
    if not secret:
        where = f"the file {secret_file}" if secret_file else f"the environment variable {env_var}"
        raise ConfigurationError(
            f"No client secret: {where} is empty or unset.",
            f"Set {env_var} to the secret's Value (the tool never takes it as an argument), or "
            "give --client-secret-file.",
        )
    return secret


@dataclass(frozen=True)
class Connection:
    """The tenant to read and how to reach it."""

    tenant_id: str
    client_id: str
    cloud: Cloud
    ca_bundle: str | None = None

    def client(self, credential: str | dict[str, str],
               retry: RetryPolicy | None = None) -> GraphClient:
        """One requests session for msal and Graph alike, and one msal app for the run."""
        session = GraphSession(self.ca_bundle)
        tokens = TokenProvider(self.tenant_id, self.client_id, credential, self.cloud, session)
        return GraphClient(session, tokens, retry)
