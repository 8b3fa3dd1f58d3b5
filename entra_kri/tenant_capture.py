"""The capture sequence, written once for `snapshot` and `run`.

credentials → connection → lock → progress → capture. The configuration's
`TenantSettings` are turned here into what capture takes (a `Connection` and a
credential); capture itself never sees the configuration (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

from entra_kri.config import TenantSettings
from entra_kri.errors import StoreError
from entra_kri.lock import tenant_lock
from entra_kri.logs import show_progress
from entra_kri.snapshot.roots import Root
from entra_kri.snapshot.store_errors import store_error
from entra_kri.snapshotter.capture import WORKERS, take_snapshot
from entra_kri.snapshotter.clouds import resolve_cloud
from entra_kri.snapshotter.credentials import Credential, CredentialSource
from entra_kri.snapshotter.http import GraphClient, RequestStats
from entra_kri.snapshotter.progress import capture_progress
from entra_kri.snapshotter.session import Connection


def connection_for(settings: TenantSettings) -> Connection:
    """The connection a tenant's settings describe."""
    return Connection(
        settings.tenant_id, settings.client_id,
        resolve_cloud(settings.cloud, settings.graph_url, settings.login_url),
        str(settings.ca_bundle) if settings.ca_bundle else None,
    )


def credential_source(settings: TenantSettings) -> CredentialSource:
    """Where the tenant's settings say the app's credential comes from."""
    return CredentialSource(settings.client_id, settings.secret_env, settings.secret_file,
                            settings.keyring, settings.certificate)


@dataclass(frozen=True)
class TenantCapture:
    """A signed-in client for one tenant, taken under the tenant's lock."""

    connection: Connection
    client: GraphClient
    root: Root
    window: timedelta

    @property
    def stats(self) -> RequestStats:
        return self.client.stats

    def take(self, captured_at: datetime, workers: int = WORKERS) -> PurePath:
        """Capture the tenant into root, with progress bars for a person at a terminal."""
        with capture_progress(self.client.stats, show_progress()) as observer:
            return take_snapshot(self.client, self.connection, self.root.path, captured_at,
                                 self.window, observer, workers=workers,
                                 storage=self.root.storage)


@contextmanager
def tenant_capture(settings: TenantSettings, root: Root,
                   credential: Credential | None = None) -> Iterator[TenantCapture]:
    """Load the credential (unless given), build the connection and client, and hold
    the tenant's lock under `root` while the caller captures and works on the result."""
    loaded = credential if credential is not None else credential_source(settings).load()
    connection = connection_for(settings)
    client = connection.client(loaded)
    try:
        with tenant_lock(root.path / settings.tenant_id, root.storage):
            yield TenantCapture(connection, client, root,
                                timedelta(hours=settings.signin_window_hours))
    except Exception as exc:  # the store's own failure, as one paragraph naming the root
        refusal = store_error(exc)
        if refusal is None:
            raise
        raise StoreError(f"{root.path}: {refusal.cause}", refusal.fix) from exc
