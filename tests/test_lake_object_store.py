"""`entra-kri lake export` from a snapshot root in an object store (docs/lake.md): the
same lake, row for row, as from the same snapshots on local disk; every snapshot
verified from the store by the one validator; a changed object named by its URL."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from click.testing import CliRunner
from entra_kri.analysis.lake import KRI_DATASET, _Candidate, export_lake

from bench.lake_export import fleet_tenant_id, replayed_demo
from bench.series import make_series
from entra_kri.cli import cli
from entra_kri.snapshot.object_storage import ObjectStorage
from entra_kri.snapshot.roots import open_root
from tests.azurite import AZURITE_KEY
from tests.object_store import FAKE_CREDENTIALS, store, upload
from tests.test_lake_export import file_digests, rows

TENANTS = [fleet_tenant_id(index) for index in range(2)]
DAYS = 2


@pytest.fixture(scope="module")
def local_export(tmp_path_factory) -> tuple[Path, Path]:
    """The demo snapshot as 2 tenants of 2 daily snapshots on local disk, and the lake
    exported from there: the reference each store's export must equal."""
    base = tmp_path_factory.mktemp("lake-local")
    root, lake = base / "root", base / "lake"
    demo = replayed_demo(base)
    for tenant_id in TENANTS:
        make_series(demo, root, DAYS, tenant_id=tenant_id)
    results = list(export_lake(root, lake))
    assert [(len(r.exported), r.problems) for r in results] == [(DAYS, [])] * len(TENANTS)
    return root, lake


def datasets(lake: Path) -> list[str]:
    return sorted(d.name for d in lake.iterdir() if d.is_dir())


def snapshot_ids(root: Path, tenant_id: str) -> list[str]:
    return sorted(p.name for p in (root / tenant_id).iterdir())


def test_a_store_root_gives_the_lake_of_the_same_snapshots_on_local_disk(
        local_export, object_root, tmp_path):
    local_root, local_lake = local_export
    upload(local_root, object_root)
    lake = tmp_path / "lake"
    results = list(export_lake(open_root(object_root).path, lake))
    assert [(str(r.tenant_dir), r.exported, r.problems) for r in results] == [
        (f"{object_root}/{tenant_id}", snapshot_ids(local_root, tenant_id), [])
        for tenant_id in TENANTS]
    assert datasets(lake) == datasets(local_lake)
    assert sorted(file_digests(lake)) == sorted(file_digests(local_lake))
    for dataset in datasets(local_lake):
        assert rows(lake, dataset) == rows(local_lake, dataset), dataset
    assert len(rows(lake, "stg_sign_ins")) > 0  # the demo's content, not empty tables

    before = file_digests(lake)
    again = list(export_lake(open_root(object_root).path, lake))
    assert [(r.exported, r.present, r.problems) for r in again] == [([], DAYS, [])] * 2
    assert file_digests(lake) == before


def test_jobs_2_on_a_store_root_names_a_changed_object_by_url_and_exports_the_others(
        local_export, object_root, tmp_path):
    local_root, local_lake = local_export
    upload(local_root, object_root)
    changed = f"{TENANTS[0]}/{snapshot_ids(local_root, TENANTS[0])[0]}"
    users = open_root(f"{object_root}/{changed}/users.ndjson.gz").path
    fs = store(object_root).fs
    original = fs.cat_file(users.key)
    fs.pipe_file(users.key, original[:-1] + bytes([original[-1] ^ 1]))
    lake = tmp_path / "lake"

    result = CliRunner().invoke(cli, ["lake", "export", object_root, "--to", str(lake),
                                      "--jobs", "2"])
    assert result.exit_code == 1, result.output
    assert f"{users}: SHA-256" in result.stderr
    assert f"under {object_root} were not exported" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout.splitlines() == [
        f"{TENANTS[0]}: {DAYS - 1} exported, 0 already in the lake, 1 refused",
        f"{TENANTS[1]}: {DAYS} exported, 0 already in the lake, 0 refused"]
    others = f"not (tenant_id = '{TENANTS[0]}' and snapshot_id = '{changed.split('/')[1]}')"
    for dataset in (KRI_DATASET, "stg_users", "stg_sign_ins"):
        assert rows(lake, dataset) == rows(local_lake, dataset, others), dataset

    fs.pipe_file(users.key, original)  # put back: now it verifies, and joins the lake
    before = file_digests(lake)
    again = CliRunner().invoke(cli, ["lake", "export", object_root, "--to", str(lake),
                                     "--jobs", "2"])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [
        f"{TENANTS[0]}: 1 exported, {DAYS - 1} already in the lake, 0 refused",
        f"{TENANTS[1]}: 0 exported, {DAYS} already in the lake, 0 refused"]
    assert all(after == before[name] for name, after in file_digests(lake).items()
               if TENANTS[1] in name)
    for dataset in datasets(local_lake):
        assert rows(lake, dataset) == rows(local_lake, dataset), dataset


def test_a_store_failing_mid_export_stops_it_in_one_paragraph_keeping_what_was_committed(
        local_export, s3_root, tmp_path, monkeypatch):
    local_root, local_lake = local_export
    upload(local_root, s3_root)
    reading = ObjectStorage.open_read

    def unreachable_for_the_second_tenant(storage, path):
        if TENANTS[1] in str(path) and path.name == "users.ndjson.gz":
            raise storage.error(ConnectionError("to https://x?sig=SECRET refused"), path)
        return reading(storage, path)

    monkeypatch.setattr(ObjectStorage, "open_read", unreachable_for_the_second_tenant)
    lake = tmp_path / "lake"
    result = CliRunner().invoke(cli, ["lake", "export", s3_root, "--to", str(lake)])
    assert result.exit_code == 1, result.output
    assert f"{s3_root}/{TENANTS[1]}/" in result.stderr
    assert "could not be reached" in result.stderr
    assert "SECRET" not in result.output and "Traceback" not in result.output
    assert result.stdout.splitlines() == [
        f"{TENANTS[0]}: {DAYS} exported, 0 already in the lake, 0 refused"]
    assert rows(lake, KRI_DATASET) == rows(local_lake, KRI_DATASET,
                                           f"tenant_id = '{TENANTS[0]}'")


def test_a_snapshot_goes_to_a_jobs_worker_as_its_url_and_no_credential(object_root):
    """A --jobs worker reopens the store from the URL, with the credentials of its own
    environment: no secret of this process's environment is in what is sent to it."""
    path = open_root(f"{object_root}/{TENANTS[0]}/20261120T090000Z").path
    sent = pickle.dumps(_Candidate(path, TENANTS[0], "0" * 64))
    assert not [secret for secret in (FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"], AZURITE_KEY)
                if secret.encode() in sent]
    received = pickle.loads(sent)
    assert str(received.path) == str(path) and received.path.storage is not path.storage
    assert received.path.storage.entry(received.path) is None  # a working store client


@pytest.mark.parametrize("args", [
    ["lake", "export", "ROOT", "--to", "s3://bucket/lake"],
    ["lake", "query", "kri_latest", "az://container/lake"],
])
def test_a_lake_in_a_store_is_refused_naming_the_sync_to_use(args, tmp_path, monkeypatch):
    """The lake is a local folder (docs/lake.md): a URL is a usage error saying how to put
    the lake in the store, and nothing is created."""
    (tmp_path / "root").mkdir()
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [str(tmp_path / "root") if a == "ROOT" else a
                                      for a in args])
    assert result.exit_code == 2, result.output
    assert "a lake is a local folder" in result.stderr and "sync" in result.stderr
    assert "does not exist" not in result.stderr
    assert list(tmp_path.iterdir()) == [tmp_path / "root"]
