"""Everything one capture run needs to talk to a tenant, built once from the options."""

from __future__ import annotations

from dataclasses import dataclass

from entra_kri.snapshotter.auth import TokenProvider
from entra_kri.snapshotter.clouds import Cloud, resolve_cloud
from entra_kri.snapshotter.http import GraphClient, GraphSession
from entra_kri.snapshotter.retry import RetryPolicy

from entra_kri.config import TenantSettings


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


def connection_for(settings: TenantSettings) -> Connection:
    """The connection a tenant's settings describe."""
    return Connection(
        settings.tenant_id, settings.client_id,
        resolve_cloud(settings.cloud, settings.graph_url, settings.login_url),
        str(settings.ca_bundle) if settings.ca_bundle else None,
    )
