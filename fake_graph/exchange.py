"""One HTTP exchange as the route handlers see it: the parsed request and the answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Incoming:
    """A parsed request. `headers` keys are lower-case."""

    method: str
    host: str
    path: str
    query_pairs: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    body: bytes
    request_id: str
    date: str  # Graph's innerError.date form, derived from the tenant's `now`

    def param(self, name: str) -> str | None:
        """A query option, matched case-insensitively like Graph does."""
        for key, value in self.query_pairs:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def root(self) -> str:
        """`https://<host the client used>`."""
        return f"https://{self.host}"

    @property
    def client_request_id(self) -> str:
        return self.headers.get("client-request-id", self.request_id)


@dataclass
class Outgoing:
    """A response to send: status, JSON body and extra headers."""

    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode()
