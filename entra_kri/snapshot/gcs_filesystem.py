"""gcsfs's JSON API filesystem, giving up on an endpoint that does not answer within
seconds rather than minutes.

gcsfs tries each request 6 times (waiting about 1, 2, 4, 8 and 16 s between tries, a
number fixed when gcsfs is imported) and gives aiohttp no timeout at all, so a closed
port took 36 s to fail and a port that drops connections more than 14 minutes. Here
every request has `CONNECT_TIMEOUT_SECONDS` to connect and is tried `GCS_ATTEMPTS`
times (docs/object-storage.md, "When a store does not answer").
"""

from __future__ import annotations

from typing import Any

import aiohttp
from gcsfs.core import GCSFileSystem as JsonApiFileSystem
from gcsfs.retry import retry_request

from entra_kri.snapshot.store_retries import CONNECT_TIMEOUT_SECONDS, GCS_ATTEMPTS


class GCSFileSystem(JsonApiFileSystem):
    """`gcsfs.core.GCSFileSystem` with a connect timeout and fewer tries of each request
    (`_request`, which every listing, read and upload of entra-kri goes through)."""

    _request = retry_request(retries=GCS_ATTEMPTS)(JsonApiFileSystem._request.__wrapped__)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("requests_timeout",
                          aiohttp.ClientTimeout(sock_connect=CONNECT_TIMEOUT_SECONDS))
        super().__init__(*args, **kwargs)
