"""Client-credentials tokens from msal, with Entra's refusals turned into actionable errors."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import msal
import requests
from entra_kri.snapshotter.clouds import Cloud

from entra_kri.errors import AuthenticationError, NetworkError

# The application permissions the capture asks for. Microsoft's v1.0 reference
# lists AuditLog.Read.All for the registration report, so Reports.Read.All is not
# among them (docs/graph-behaviour.md).
REQUIRED_PERMISSIONS = (
    "User.Read.All",
    "Directory.Read.All",
    "AuditLog.Read.All",
    "Policy.Read.All",
)

_SECRET_FIX = (
    "In the Entra admin center open the app registration, Certificates & secrets, create a "
    "new client secret, copy its Value (not its Secret ID) and put it in "
    "ENTRA_KRI_CLIENT_SECRET (or the file given by --client-secret-file)."
)

# Entra's AADSTS codes, as documented, to (cause, fix), with {tenant_id} filled in.
# The token endpoint's own description is not echoed: it is long and varies, and
# the code says it all.
_AADSTS_MESSAGES: dict[int, tuple[str, str]] = {
    7000215: (
        "Entra refused the client secret (invalid_client, AADSTS7000215): it is not a valid "
        "secret for this app, most often because the Secret ID was copied instead of its Value.",
        _SECRET_FIX,
    ),
    7000222: (
        "Entra refused the client secret (invalid_client, AADSTS7000222): the secret has "
        "expired. Entra does not warn before a secret expires.",
        _SECRET_FIX,
    ),
    700016: (
        "Entra does not know this client id in this tenant (unauthorized_client, "
        "AADSTS700016).",
        "Copy the Application (client) ID from the app registration's Overview page, and check "
        "that the app is registered in the tenant given by --tenant-id.",
    ),
    90002: (
        "Entra does not know the tenant {tenant_id} (AADSTS90002).",
        "Copy the Directory (tenant) ID from the app registration's Overview page into "
        "--tenant-id, and check that --login-url matches the tenant's cloud.",
    ),
    700027: (
        "Entra refused the certificate's signed assertion (invalid_client, AADSTS700027): the "
        "certificate is not registered on the app, or has expired there.",
        "Upload the certificate (public part) to the app registration's Certificates & "
        "secrets, and give --certificate the PEM holding its private key.",
    ),
    7000218: (
        "Entra received no client secret or certificate (invalid_client, AADSTS7000218).",
        _SECRET_FIX,
    ),
}


class TokenProvider:
    """One msal app per run. `token()` is called before every request: msal serves
    it from its cache and renews it shortly before it expires, so long runs go on."""

    def __init__(self, tenant_id: str, client_id: str, credential: str | dict[str, str],
                 cloud: Cloud, session: requests.Session) -> None:
        self.tenant_id = tenant_id
        self.cloud = cloud
        microsoft = cloud.login_host_is_microsoft
        try:
            self._app = msal.ConfidentialClientApplication(
                client_id,
                client_credential=credential,
                authority=f"{cloud.login_url}/{tenant_id}",
                http_client=session,
                validate_authority=microsoft,
                instance_discovery=None if microsoft else False,
            )
        except ValueError as exc:  # msal's OpenID discovery failed: the tenant is unknown
            raise _aadsts_error(90002, tenant_id) from exc
        except requests.RequestException as exc:
            raise _network_error(cloud.login_url, exc) from exc

    def token(self) -> str:
        """A valid access token for Graph, or an `AuthenticationError` saying why not."""
        try:
            result = self._app.acquire_token_for_client(scopes=[self.cloud.scope])
        except requests.RequestException as exc:
            raise _network_error(self.cloud.login_url, exc) from exc
        except msal.exceptions.MsalServiceError as exc:
            raise AuthenticationError(
                f"The token endpoint at {self.cloud.login_url} failed ({exc.error}).",
                "This is on Microsoft's side; try again later.",
            ) from exc
        if "access_token" in result:
            return result["access_token"]
        raise token_error(result, self.tenant_id)


def _aadsts_error(code: int, tenant_id: str) -> AuthenticationError:
    cause, fix = _AADSTS_MESSAGES[code]
    return AuthenticationError(cause.format(tenant_id=tenant_id), fix)


def token_error(result: dict[str, Any], tenant_id: str) -> AuthenticationError:
    """The actionable error for an msal error dict (`error`, `error_codes`...)."""
    for code in result.get("error_codes") or ():
        if code in _AADSTS_MESSAGES:
            return _aadsts_error(code, tenant_id)
    error = result.get("error", "unknown_error")
    codes = ", ".join(f"AADSTS{c}" for c in result.get("error_codes") or ()) or "no AADSTS code"
    if error == "invalid_client":
        return AuthenticationError(
            f"Entra refused the app's credentials (invalid_client, {codes}).", _SECRET_FIX
        )
    return AuthenticationError(
        f"Entra refused to issue a token ({error}, {codes}).",
        "Look the AADSTS code up in Microsoft's error reference; check --tenant-id, "
        "--client-id and the secret.",
    )


def token_roles(access_token: str) -> list[str] | None:
    """The application permissions (`roles` claim) an access token carries.

    Read without verifying the signature: only to tell the user what was
    consented, never to decide what we may read. None when the token is not a
    JWT (a replayed, scrubbed token, say).
    """
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    roles = claims.get("roles", []) if isinstance(claims, dict) else []
    return sorted(r for r in roles if isinstance(r, str))


def missing_permissions(roles: list[str]) -> list[str]:
    """Which of the permissions the capture asks for are not in `roles`."""
    return [p for p in REQUIRED_PERMISSIONS if p not in roles]


def _network_error(url: str, exc: requests.RequestException) -> NetworkError:
    return NetworkError(
        f"Could not reach {url} ({type(exc).__name__}).",
        "Check the network, proxy variables (HTTPS_PROXY) and --ca-bundle if a proxy "
        "inspects TLS.",
    )
