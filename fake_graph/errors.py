"""Error bodies exactly as Microsoft shapes them: Graph's OData error and the token endpoint's.

Sources (see also `fake_graph/schemas/odataError.schema.json`, `tokenError.schema.json`):
- Graph: learn.microsoft.com/graph/errors; bodies seen on the wire carry
  `innerError` (capital E) with `date` (no zone), `request-id`, `client-request-id`.
- Token endpoint: learn.microsoft.com/entra/identity-platform/reference-error-codes
  (sample error response) and the AADSTS texts Microsoft returns for each case.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

# Graph error codes and messages the fake sends. Branch on the code, never the message.
INVALID_TOKEN = ("InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
MISSING_TOKEN = ("InvalidAuthenticationToken", "Access token is empty.")
EXPIRED_TOKEN = ("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
DENIED = ("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
# Graph's answer when $select=signInActivity lacks AuditLog.Read.All (reported on
# microsoftgraph/microsoft-graph-explorer-v4#2731, 12Knocksinna/Office365itpros#109).
PERMISSION_MISSING = (
    "Authentication_MSGraphPermissionMissing",
    "Calling principal does not have required MSGraph permissions AuditLog.Read.All",
)
NON_PREMIUM = (
    "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "Neither tenant is B2C or tenant doesn't have premium license",
)
TOO_MANY_REQUESTS = ("TooManyRequests", "Too many requests")
SERVICE_UNAVAILABLE = ("serviceNotAvailable", "The service is temporarily unavailable.")
UNKNOWN_ERROR = ("UnknownError", "")
METHOD_NOT_ALLOWED = (
    "Request_BadRequest",
    "The request method is not supported by this fake of Microsoft Graph (read-only).",
)
NOT_FOUND = (
    "Request_ResourceNotFound",
    "Resource '{id}' does not exist or one of its queried "
    "reference-property objects are not present.",
)


def graph_error(
    code: str, message: str, *, date: str, request_id: str, client_request_id: str
) -> Json:
    """Graph's error envelope: `{"error": {"code", "message", "innerError": {…}}}`."""
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": date,
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


def token_error(
    error: str,
    aadsts: int,
    text: str,
    *,
    login_host: str,
    timestamp: str,
    trace_id: str,
    correlation_id: str,
) -> Json:
    """The token endpoint's error body (`error`, `error_description` = `AADSTSnnnn: …`, …)."""
    description = (
        f"AADSTS{aadsts}: {text} Trace ID: {trace_id} Correlation ID: {correlation_id} "
        f"Timestamp: {timestamp}"
    )
    return {
        "error": error,
        "error_description": description,
        "error_codes": [aadsts],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"https://{login_host}/error?code={aadsts}",
    }


def wrong_secret_text(client_id: str) -> str:
    return (
        "Invalid client secret provided. Ensure the secret being sent in the request is the "
        "client secret value, not the client secret ID, for a secret added to app "
        f"'{client_id}'."
    )


def expired_secret_text(client_id: str) -> str:
    return (
        f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure "
        "portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider "
        "using certificate credentials for added security: https://aka.ms/certCreds."
    )


def unknown_client_text(client_id: str, tenant_id: str) -> str:
    return (
        f"Application with identifier '{client_id}' was not found in the directory "
        f"'{tenant_id}'. This can happen if the application has not been installed by the "
        "administrator of the tenant or consented to by any user in the tenant. You may have "
        "sent your authentication request to the wrong tenant."
    )


def unknown_tenant_text(tenant: str) -> str:
    return (
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
        "are signing into the correct cloud. Check with your subscription administrator, this "
        "may happen if there are no active subscriptions for the tenant."
    )
