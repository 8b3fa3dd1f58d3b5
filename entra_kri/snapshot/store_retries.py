"""How long a store's library waits for its endpoint, and how often it retries.

A scheduled run against a mistyped or unreachable endpoint must fail in seconds,
while a store's passing refusals (Azure's 500 and 503, a reset connection) are still
retried a few times. docs/object-storage.md, "When a store does not answer", gives
the figures measured against a closed port and a port that drops connections.
"""

from __future__ import annotations

from typing import Any

CONNECT_TIMEOUT_SECONDS = 10
"""How long one attempt to open a connection to a store may take."""

AZURE_CONNECT_ATTEMPTS = 2
"""Connections the Azure SDK tries before the endpoint counts as unreachable."""

AZURE_CLIENT_OPTIONS: dict[str, Any] = {
    "connection_timeout": CONNECT_TIMEOUT_SECONDS,
    "retry_connect": AZURE_CONNECT_ATTEMPTS - 1,
    # A failed response (408, 500, 503...) or a broken read is retried 3 times, after
    # 4, 6 and 10 s (each give or take 3 s; the SDK's default waits 18, 24 and 42 s),
    # and a connection that failed once, after 4 s.
    "retry_total": 3,
    "initial_backoff": 2,
    "increment_base": 2,
}
"""Keyword arguments of the Azure SDK's `BlobServiceClient` (its `ExponentialRetry`)."""

GCS_ATTEMPTS = 3
"""Tries of each GCS request (gcsfs's default is 6): after a failure, a 408, 429 or 5xx
answer or a connection that failed, it waits about 1.5, then 2.5 s."""
