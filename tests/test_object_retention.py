"""Retention on an S3 root (docs/object-storage.md, "Retention (S3 Object Lock)"), against
moto: every object of a snapshot written with Object Lock, a bucket without Object Lock
refused before anything is written, and `prune` keeping what S3 still holds, saying why."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import fsspec
import pytest
from click.testing import CliRunner

from entra_kri.cli import cli
from entra_kri.errors import ConfigurationError
from entra_kri.snapshot.chain import verify_tenant
from entra_kri.snapshot.layout import MANIFEST_FILE
from entra_kri.snapshot.object_storage import ObjectStorage, key_of
from entra_kri.snapshot.retention import Retention
from entra_kri.snapshot.roots import open_root
from tests.conftest import DEMO_CASSETTE
from tests.object_store import ROOT_PREFIX, store, upload, use_moto
from tests.series_builder import build_series
from tests.snapshot_builder import TENANT_ID
from tests.test_object_capture import capture_to


@pytest.fixture
def locked_root(moto_endpoint, monkeypatch, tmp_path_factory) -> str:
    """`s3://<a new bucket created with Object Lock enabled>/snapshots`."""
    use_moto(monkeypatch, moto_endpoint, tmp_path_factory.mktemp("aws"))
    bucket = f"locked-{uuid.uuid4().hex[:20]}"
    root_text = f"s3://{bucket}/{ROOT_PREFIX}"
    store(root_text).fs.call_s3("create_bucket", Bucket=bucket, ObjectLockEnabledForBucket=True)
    return root_text


def _head(storage: ObjectStorage, path) -> dict:
    bucket, _, key = key_of(path).partition("/")
    return storage.fs.call_s3("head_object", Bucket=bucket, Key=key)


def test_a_capture_under_retention_locks_every_object_of_the_snapshot(fake, demo_tenant,
                                                                       locked_root):
    root = open_root(locked_root)
    storage = root.storage.with_retention(Retention(30, "compliance"), root.path)
    path = capture_to(fake, demo_tenant, locked_root, storage=storage)
    names = storage.list_dir(path)
    assert MANIFEST_FILE in names and len(names) > 5
    expected = datetime.now(UTC) + timedelta(days=30)
    for name in names:
        head = _head(storage, path / name)
        assert head["ObjectLockMode"] == "COMPLIANCE", name
        assert abs(head["ObjectLockRetainUntilDate"] - expected) < timedelta(minutes=2), name


def test_a_bucket_without_object_lock_is_refused_before_anything_is_written(s3_root):
    root = open_root(s3_root)
    with pytest.raises(ConfigurationError) as refused:
        root.storage.with_retention(Retention(30, "governance"), root.path)
    bucket = key_of(root.path).partition("/")[0]
    assert f"the bucket {bucket} does not have S3 Object Lock enabled" in refused.value.message
    assert "put-object-lock-configuration" in refused.value.message
    assert store(s3_root).fs.ls(bucket) == []


def test_retention_on_gcs_is_refused_saying_so():
    """(Azure's refusal names what the container lacks: tests/test_blob_immutability.py.)"""
    storage = ObjectStorage(fsspec.filesystem("memory"), "gs")
    with pytest.raises(ConfigurationError) as refused:
        storage.with_retention(Retention(30, "governance"), storage.path("bucket/prefix"))
    assert "entra-kri writes no retention to gs:// stores" in refused.value.message


def test_prune_on_an_object_root_keeps_what_s3_still_holds_and_says_why(tmp_path, locked_root):
    snapshots = build_series(tmp_path / "local", days=5)
    upload(tmp_path / "local", locked_root)
    root = open_root(locked_root)
    tenant_dir = root.path / TENANT_ID
    fs, bucket = root.storage.fs, key_of(root.path).partition("/")[0]
    held_key = key_of(tenant_dir / snapshots[2].name / "users.ndjson.gz").partition("/")[2]
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    fs.call_s3("put_object_retention", Bucket=bucket, Key=held_key,
               Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
    legal_key = key_of(tenant_dir / snapshots[1].name / MANIFEST_FILE).partition("/")[2]
    fs.call_s3("put_object_legal_hold", Bucket=bucket, Key=legal_key, LegalHold={"Status": "ON"})

    result = CliRunner().invoke(cli, ["prune", locked_root, "--keep-daily", "1"])

    until_text = until.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_kept_the_two_held(result, root, snapshots,
                             f"S3 Object Lock (GOVERNANCE) until {until_text}", "an S3 legal hold")
    # (moto still lists a prefix whose objects are all deleted in a versioned bucket; S3
    # does not: the manifests, files and records checked say what is left.)
    assert root.storage.fs.find(key_of(tenant_dir / snapshots[0].name)) == []


def assert_kept_the_two_held(result, root, snapshots, dated_hold: str, legal_hold: str) -> None:
    """`prune --keep-daily 1` over the 5 `snapshots` kept the newest, snapshots[2] under
    `dated_hold` and snapshots[1] under `legal_hold`, and pruned the other two, recording
    each so that the chain still verifies."""
    tenant_dir = root.path / TENANT_ID
    assert result.exit_code == 0, result.output
    assert f"kept {tenant_dir / snapshots[2].name}: under {dated_hold}" in result.stdout
    assert (f"kept {tenant_dir / snapshots[1].name}: under {legal_hold} until it is "
            "lifted") in result.stdout
    assert f"{TENANT_ID}: kept 3 (2 under retention), pruned 2" in result.stdout
    assert [root.storage.entry(tenant_dir / p.name / MANIFEST_FILE) is not None
            for p in snapshots] == [False, True, True, False, True]
    assert sorted(root.storage.list_dir(tenant_dir / "pruned")) == [
        f"{snapshots[0].name}.json", f"{snapshots[3].name}.json"]
    assert verify_tenant(tenant_dir, root.storage).all_problems == []


def _retention_config(tmp_path, mode="compliance"):
    config = tmp_path / "entra-kri.toml"
    config.write_text(f'retention_days = 30\nretention_mode = "{mode}"\n')
    return config


def test_snapshot_with_retention_to_an_object_lock_bucket_locks_its_objects(tmp_path,
                                                                           locked_root):
    result = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE), "--out",
                                      locked_root, "--config", str(_retention_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{locked_root}/")  # the URL as given, `s3://` whole
    snapshot = open_root(result.stdout.strip())
    heads = [_head(snapshot.storage, snapshot.path / name)
             for name in snapshot.storage.list_dir(snapshot.path)]
    assert len(heads) > 5
    assert {head.get("ObjectLockMode") for head in heads} == {"COMPLIANCE"}


def test_snapshot_with_retention_to_a_bucket_without_object_lock_writes_nothing(tmp_path,
                                                                              s3_root):
    result = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE), "--out",
                                      s3_root, "--config", str(_retention_config(tmp_path))])
    assert result.exit_code == 2
    assert "does not have S3 Object Lock enabled" in result.stderr
    assert "Traceback" not in result.output
    assert store(s3_root).fs.find(key_of(open_root(s3_root).path)) == []


def test_config_check_refuses_retention_on_a_bucket_without_object_lock(tmp_path, s3_root):
    config = tmp_path / "entra-kri.toml"
    config.write_text(f'root = "{s3_root}"\nretention_days = 30\nretention_mode = "governance"\n')
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(config)])
    assert result.exit_code == 2
    assert "does not have S3 Object Lock enabled" in result.stderr


def test_config_check_names_the_retention_and_leaves_no_locked_probe(tmp_path, locked_root):
    config = tmp_path / "entra-kri.toml"
    config.write_text(f'root = "{locked_root}"\nretention_days = 30\n'
                      'retention_mode = "compliance"\n')
    result = CliRunner().invoke(cli, ["config", "check", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "(writable, retention_days = 30, compliance mode)" in result.stdout
    root = open_root(locked_root)
    bucket = key_of(root.path).partition("/")[0]
    versions = root.storage.fs.call_s3("list_object_versions", Bucket=bucket)["Versions"]
    assert versions  # the probe's, kept behind its delete marker: never locked
    for version in versions:
        head = root.storage.fs.call_s3("head_object", Bucket=bucket, Key=version["Key"],
                                       VersionId=version["VersionId"])
        assert "ObjectLockMode" not in head


def test_prune_interrupted_after_recording_a_snapshot_finishes_when_run_again(tmp_path,
                                                                              s3_root,
                                                                              monkeypatch):
    """docs/object-storage.md, "Retention (S3 Object Lock)": on an object root prune records
    a snapshot under pruned/ before removing it; a prune stopped between the two finds the
    record already there when run again, keeps it and removes the snapshot."""
    snapshots = build_series(tmp_path / "local", days=2)
    upload(tmp_path / "local", s3_root)
    root = open_root(s3_root)
    tenant_dir, oldest = root.path / TENANT_ID, snapshots[0].name

    def stopped(self, path):
        raise OSError("the store stopped answering")

    with monkeypatch.context() as patch:
        patch.setattr(ObjectStorage, "remove", stopped)
        interrupted = CliRunner().invoke(cli, ["prune", s3_root, "--keep-daily", "1"])
    assert interrupted.exit_code != 0
    assert root.storage.list_dir(tenant_dir / "pruned") == [f"{oldest}.json"]

    result = CliRunner().invoke(cli, ["prune", s3_root, "--keep-daily", "1"])

    assert result.exit_code == 0, result.output
    assert f"pruned {tenant_dir / oldest}" in result.stdout
    assert root.storage.entry(tenant_dir / oldest / MANIFEST_FILE) is None
    assert root.storage.list_dir(tenant_dir / "pruned") == [f"{oldest}.json"]
    assert verify_tenant(tenant_dir, root.storage).all_problems == []
