"""Azure Blob and GCS roots: URL forms, credentials, and the create-only commit
(docs/object-storage.md, "Azure Blob Storage" and "Google Cloud Storage")."""

from __future__ import annotations

import fsspec
import gcsfs.core
import pytest

from entra_kri.errors import ConfigurationError
from entra_kri.snapshot.cloud_stores import AzureLocation, azure_location
from entra_kri.snapshot.object_storage import key_of
from entra_kri.snapshot.roots import open_root
from tests.azurite import AZURITE_KEY
from tests.gcs_fake import bucket_of


def test_an_adls_url_names_its_container_account_and_endpoint():
    assert azure_location("snaps@contoso.dfs.core.windows.net/fleet/a") == AzureLocation(
        "snaps/fleet/a", "contoso", "contoso.blob.core.windows.net")


def test_an_adls_url_of_a_sovereign_cloud_keeps_its_endpoint_suffix():
    location = azure_location("snaps@contoso.blob.core.chinacloudapi.cn")
    assert location == AzureLocation("snaps", "contoso", "contoso.blob.core.chinacloudapi.cn")


def test_a_plain_container_name_is_no_adls_host():
    assert azure_location("snaps/fleet") is None


def test_an_adls_root_opens_the_container_and_prefix(azure_root):
    account_url = "abfs://snaps@devstoreaccount1.dfs.core.windows.net/fleet"
    root = open_root(account_url)
    assert key_of(root.path) == "snaps/fleet"
    assert root.text == account_url


def test_a_path_under_an_adls_root_is_shown_with_its_account_and_opens_it_again(azure_root):
    """A path printed (`snapshot --out`, a message) names the account the URL named, so
    given back it reads that account and no other (docs/object-storage.md, "Azure Blob
    Storage")."""
    account_url = "abfss://snaps@devstoreaccount1.dfs.core.windows.net/fleet"
    shown = str(open_root(account_url).path / "tenant" / "snapshot")
    assert shown == f"{account_url}/tenant/snapshot"
    again = open_root(shown)
    assert again.storage.fs.account_name == "devstoreaccount1"
    assert key_of(again.path) == "snaps/fleet/tenant/snapshot"


def test_an_adls_url_naming_another_account_than_the_credentials_is_refused(azure_root):
    with pytest.raises(ConfigurationError) as refused:
        open_root("abfs://snaps@contoso.dfs.core.windows.net/fleet")
    message = str(refused.value)
    assert "'contoso'" in message and "'devstoreaccount1'" in message
    assert AZURITE_KEY not in message


def test_azure_without_credentials_is_a_configuration_error_naming_the_variables(monkeypatch):
    for name in ("AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT_NAME"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="AZURE_STORAGE_CONNECTION_STRING"):
        open_root("az://snaps/fleet")


def test_a_malformed_connection_string_is_never_repeated(monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", "AccountKey=not-a-secret-to-show")
    with pytest.raises(ConfigurationError) as refused:
        open_root("az://snaps/fleet")
    assert "not-a-secret-to-show" not in str(refused.value)


def test_gcs_without_application_default_credentials_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-key.json"))
    with pytest.raises(ConfigurationError, match="gcloud auth application-default login"):
        open_root("gs://bkt/fleet")


def test_gcs_is_read_through_the_json_api_filesystem_only(gcs_root):
    fs = open_root(gcs_root).storage.fs
    assert isinstance(fs, gcsfs.core.GCSFileSystem)  # entra-kri's, with its timeout and tries
    assert not isinstance(fs, fsspec.get_filesystem_class("gs"))  # gcsfs's default: gRPC too


@pytest.mark.parametrize("write", ["create_only", "open_write"])
def test_a_create_only_write_asks_gcs_for_generation_0_and_a_second_is_refused(
        gcs_fake, gcs_root, write):
    """gcsfs sends a create-only write as a multipart upload (`create_only`) or a resumable
    one (`open_write`), each with ifGenerationMatch=0; the 412 of the second is "exists"."""
    root = open_root(gcs_root)
    manifest = root.path / "manifest.json"

    def create(data: bytes) -> None:
        if write == "create_only":
            root.storage.create_only(manifest, data)
        else:
            with root.storage.open_write(manifest) as out:
                out.write(data)

    create(b"first")
    with pytest.raises(FileExistsError):
        create(b"second")
    bucket = bucket_of(gcs_root)
    assert gcs_fake.objects(bucket) == {"snapshots/manifest.json": b"first"}
    begun = [r for r in gcs_fake.requests_for(bucket)
             if r.path.startswith("/upload/") and "upload_id" not in r.query]
    assert [r.query["uploadType"] for r in begun] == [
        ["multipart" if write == "create_only" else "resumable"]] * 2
    assert all(r.query.get("ifGenerationMatch") == ["0"] for r in begun)
