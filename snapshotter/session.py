"""Everything one capture run needs to talk to a tenant: the connection capture takes."""

from __future__ import annotations

from dataclasses import dataclass

from entra_kri.snapshotter.auth import TokenProvider
from entra_kri.snapshotter.clouds import Cloud
from entra_kri.snapshotter.http import GraphClient, GraphSession
from entra_kri.snapshotter.retry import RetryPolicy


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
