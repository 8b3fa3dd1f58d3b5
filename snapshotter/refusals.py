"""What a Graph refusal means for the user: a log line when it is tolerated, or the fatal
message, with the fix.

A tolerated refusal is recorded in the manifest as data (outcome, HTTP status, Graph's
error code and message; docs/snapshot-format.md). Its cause and fix are worded once,
by the analysis (analysis/sql/intermediate/int_refusal_warnings.sql), in the warnings
of the KRIs that need the refused data; the capture only says that it happened.
"""

from __future__ import annotations

import logging

from entra_kri.snapshotter.collections import Collection

from entra_kri.errors import GraphError

log = logging.getLogger("entra_kri.capture")

NO_PERMISSION = "Authorization_RequestDenied"
CONSENT_FIX = (
    "In the Entra admin center open the app registration, API permissions: add the Microsoft "
    "Graph application permission {permission} and click 'Grant admin consent'. "
    "`entra-kri check` lists what the token carries."
)


def log_refusal(name: str, what: str) -> None:
    """Say that Graph refused `what` of collection `name` and the capture went on."""
    log.warning("%s: %s; recorded in the manifest. `entra-kri kri` flags the KRIs that need "
                "it as degraded and says why and how to fix it.", name, what)


def refused_request(request: str, exc: GraphError) -> str:
    """`request` and how Graph refused it, for `log_refusal`."""
    return f"Graph refused {request} (HTTP {exc.status} {exc.code})"


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
