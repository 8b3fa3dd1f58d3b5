"""What a Graph refusal means for the user: the warning or the fatal message, with the fix."""

from __future__ import annotations

from entra_kri.snapshotter.collections import Collection

from entra_kri.errors import GraphError

NO_LICENCE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"
NO_PERMISSION = "Authorization_RequestDenied"
CONSENT_FIX = (
    "In the Entra admin center open the app registration, API permissions: add the Microsoft "
    "Graph application permission {permission} and click 'Grant admin consent'. "
    "`entra-kri check` lists what the token carries."
)


def _reason(collection: Collection, exc: GraphError) -> str:
    if exc.code == NO_LICENCE:
        return "the tenant has no Entra ID P1/P2 licence"
    if exc.code == NO_PERMISSION:
        return f"the app lacks {collection.permission} or admin consent"
    return f"Graph said: {exc.detail.rstrip().rstrip('.')}"


def refusal_warning(collection: Collection, exc: GraphError, what: str | None = None) -> str:
    """The warning recorded when a tolerated collection is refused."""
    target = what or f"GET {collection.path}"
    return (
        f"{target} was refused ({exc.status} {exc.code}): {_reason(collection, exc)}. "
        "The KRIs that need it take their fail-safe values and are flagged degraded."
    )


def fatal_error(collection: Collection, exc: GraphError) -> GraphError:
    """The one-paragraph error for a refusal that makes the snapshot unusable."""
    request = f"GET {collection.path}"
    if exc.status is None:  # not an HTTP refusal (e.g. a paging loop): already explained
        return exc
    if exc.status == 401:
        cause = f"Graph rejected the access token on {request} ({exc.status} {exc.code})."
        fix = ("Check that --graph-url and --login-url belong to the same cloud: tokens do not "
               "carry across clouds.")
    elif exc.status == 403 and exc.code == NO_PERMISSION:
        cause = (f"Graph refused {request} (403 {exc.code}): the app lacks "
                 f"{collection.permission} or admin consent was not granted.")
        fix = CONSENT_FIX.format(permission=collection.permission)
    elif exc.status == 403:
        cause = f"Graph refused {request} ({exc.status} {exc.code}): {exc.detail}"
        fix = CONSENT_FIX.format(permission=collection.permission)
    else:
        cause = f"Graph failed on {request} ({exc.status} {exc.code}): {exc.detail or exc.cause}"
        fix = "Run again; if it persists, check Microsoft's service health."
    return GraphError(f"{cause} No snapshot was written.", fix, status=exc.status, code=exc.code,
                      detail=exc.detail)
