"""Access tokens: JWT-shaped strings the fake issues and later recognises.

The tokens are unsigned (`alg: none`): the fake only has to recognise its own,
and the client must treat them as opaque anyway.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class IssuedToken:
    """What the fake remembers about a token it issued."""

    audience: str
    tenant_id: str
    client_id: str
    roles: tuple[str, ...]
    expires_at: float


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class TokenRegistry:
    """Issues tokens and looks them up; thread-safe."""

    def __init__(self) -> None:
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()

    def issue(
        self,
        *,
        audience: str,
        issuer_host: str,
        tenant_id: str,
        client_id: str,
        roles: set[str],
        lifetime: int,
    ) -> str:
        now = int(time.time())
        claims: dict[str, object] = {
            "aud": audience,
            "iss": f"https://{issuer_host}/{tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "appid": client_id,
            "idtyp": "app",
            "roles": sorted(roles),
            "tid": tenant_id,
            "ver": "1.0",
            "uti": secrets.token_urlsafe(16),
        }
        token = f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(claims)}.fake-signature"
        issued = IssuedToken(audience, tenant_id, client_id, tuple(sorted(roles)), now + lifetime)
        with self._lock:
            self._tokens[token] = issued
        return token

    def lookup(self, token: str) -> IssuedToken | None:
        """The token's record if this fake issued it, expired or not."""
        with self._lock:
            return self._tokens.get(token)
