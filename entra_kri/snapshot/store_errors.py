"""An Azure Blob or GCS refusal as one paragraph: what the store said and what to do.

adlfs lets the Azure SDK's exceptions through (a wrong key, a missing container,
an endpoint that does not answer), and gcsfs raises its own `HttpError`, and GCS's
403 as a plain `OSError` (`gcs_forbidden`); none is an `OSError` the commands
already explain. Reads go through `ObjectStorage`,
which names the object that failed; what escapes elsewhere (a capture's writes,
the lease) `store_error` turns into a `StoreError` built from the store's error
code (when it is a plain word), its HTTP status and the URL without its query (where
a SAS token would be), never from the raw body.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from entra_kri.errors import StoreError
from entra_kri.snapshot.store_retries import AZURE_CONNECT_ATTEMPTS, CONNECT_TIMEOUT_SECONDS

# Azure's error codes are words such as AuthorizationFailure or ContainerNotFound.
_PLAIN_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
AZURE_FIXES = {
    401: "Check the account key, SAS token or Azure AD sign-in that the AZURE_STORAGE_* "
         "variables give (docs/object-storage.md, \"Azure Blob Storage\").",
    403: "Check the account key or SAS token the AZURE_STORAGE_* variables give, and that "
         "the identity may read and write blobs there (the Storage Blob Data Contributor "
         "role, or a SAS with read, write, list and delete).",
    404: "Check the container name in the URL, or create the container.",
}
GCS_FIXES = {
    401: "Check Google's application default credentials (`gcloud auth "
         "application-default login` or GOOGLE_APPLICATION_CREDENTIALS).",
    403: "Give the credentials' identity the Storage Object User role on the bucket (read, "
         "write, list and delete objects).",
    404: "Check the bucket name in the URL, or create the bucket.",
}


def store_error(exc: BaseException) -> StoreError | None:
    """`exc` as a `StoreError` if it is an Azure SDK or gcsfs failure; None otherwise."""
    module = type(exc).__module__
    if module.startswith("azure."):
        return _azure_error(exc)
    if module.startswith("gcsfs.") or gcs_forbidden(exc):
        return _gcs_error(exc)
    return None


def gcs_forbidden(exc: BaseException) -> bool:
    """Whether `exc` is GCS's 403 as gcsfs raises it: a plain OSError (no errno) whose text
    begins "Forbidden: ", gcsfs's own test for it. Only that word is read; the rest, the
    request's URL and GCS's message, is never shown."""
    return type(exc) is OSError and exc.errno is None and str(exc).startswith("Forbidden: ")


def _azure_error(exc: BaseException) -> StoreError:
    response = getattr(exc, "response", None)
    kinds = {kind.__name__ for kind in type(exc).__mro__}
    if response is None and "ClientAuthenticationError" in kinds:  # Azure AD, no answer
        return StoreError(
            f"No Azure AD credential could be obtained for the storage account "
            f"({type(exc).__name__}).",
            "Sign in (az login), run where a managed identity is assigned, or give "
            "AZURE_STORAGE_CONNECTION_STRING or an account key or SAS token instead.")
    if response is None:  # no answer at all: DNS, refused connection, TLS, timeout
        return StoreError(
            f"The Azure Blob endpoint could not be reached ({type(exc).__name__}, after "
            f"{AZURE_CONNECT_ATTEMPTS} attempts to connect of {CONNECT_TIMEOUT_SECONDS} s at "
            "most each).",
            "Check the endpoint in AZURE_STORAGE_CONNECTION_STRING (or the account name), "
            "the network and any proxy between here and the storage account.")
    status = getattr(exc, "status_code", None) or response.status_code
    code = getattr(exc, "error_code", None)
    code = str(getattr(code, "value", code) or "")  # an enum member, or a string
    if not _PLAIN_CODE.fullmatch(code):  # the store's text: only a code is repeated
        code = "no error code" if not code else "an error code that is not a plain word"
    where = _without_query(str(response.request.url))
    return StoreError(f"Azure Blob Storage refused the request for {where}: HTTP {status} "
                      f"({code}).",
                      AZURE_FIXES.get(status, "Check the storage account and try again."))


def _gcs_error(exc: BaseException) -> StoreError:
    status = 403 if gcs_forbidden(exc) else getattr(exc, "code", None)
    return StoreError(f"Google Cloud Storage refused a request: HTTP {status}.",
                      GCS_FIXES.get(status, "Check the bucket and try again."))


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
