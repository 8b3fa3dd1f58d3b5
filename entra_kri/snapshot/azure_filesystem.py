"""adlfs's Azure Blob filesystem, with an Azure SDK client that gives up on an endpoint
that does not answer within seconds rather than minutes.

adlfs builds its `BlobServiceClient` with the SDK's defaults (a 20 s connect timeout,
three retries after 18, 24 and 42 s) and passes no retry option through, so a
command against a closed port took 84 s to fail, and 164 s against one that drops
connections. The client is rebuilt from the one adlfs made (the same
URL, credential and secondary host) with `AZURE_CLIENT_OPTIONS`
(docs/object-storage.md, "When a store does not answer").
"""

from __future__ import annotations

from adlfs import AzureBlobFileSystem

from entra_kri.snapshot.store_retries import AZURE_CLIENT_OPTIONS


class AzureFileSystem(AzureBlobFileSystem):
    """`AzureBlobFileSystem` whose SDK client retries as `AZURE_CLIENT_OPTIONS` says; every
    container, blob and file client adlfs derives from it shares that pipeline."""

    def do_connect(self) -> None:
        super().do_connect()
        made = self.service_client
        self.service_client = type(made)(made.url, credential=made.credential,
                                         secondary_hostname=made.secondary_hostname,
                                         **AZURE_CLIENT_OPTIONS)
