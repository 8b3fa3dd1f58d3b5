"""Reading snapshots kept in an object store (docs/object-storage.md): snapshots captured to
local disk and copied to a local S3 (moto), or Azure Blob (Azurite), give the same results
and are verified like local ones; every reading command takes such a root (on S3)."""

from __future__ import annotations

import gzip
import json
import zipfile
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from entra_kri.analysis import query as query_module
from entra_kri.analysis.compute import compute_kris
from entra_kri.analysis.sandbox import lock_down

from entra_kri.cli import cli
from entra_kri.snapshot.roots import open_root
from entra_kri.snapshot.validate import check_snapshot, open_snapshot
from tests.object_store import FAKE_CREDENTIALS, store, upload
from tests.series_builder import build_series, snapshot_id
from tests.snapshot_builder import TENANT_ID
from tests.test_only_verified_bytes import privileged_snapshot, write_listed
from tests.test_replay import replay

SERIES_DAYS = 2


@pytest.fixture(scope="module")
def local_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo cassette replayed once into a local root: ROOT/<tenant>/<snapshot>."""
    return replay(tmp_path_factory.mktemp("demo-root"))


@pytest.fixture(scope="module")
def local_series(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local root holding a chain of two daily snapshots of one tenant."""
    root = tmp_path_factory.mktemp("series-root")
    build_series(root, days=SERIES_DAYS)
    return root


@pytest.fixture
def s3_demo(local_demo: Path, s3_root: str) -> str:
    """The URL of the demo snapshot copied to the test's bucket."""
    upload(local_demo.parent.parent, s3_root)
    return f"{s3_root}/{local_demo.parent.name}/{local_demo.name}"


@pytest.fixture
def s3_series(local_series: Path, s3_root: str) -> str:
    """The URL of a root in the test's bucket holding the two-day series."""
    upload(local_series, s3_root)
    return s3_root


@pytest.fixture
def object_demo(local_demo: Path, object_root: str) -> str:
    """The URL of the demo snapshot copied to the test's bucket or container."""
    upload(local_demo.parent.parent, object_root)
    return f"{object_root}/{local_demo.parent.name}/{local_demo.name}"


def test_the_kris_of_a_snapshot_in_a_store_equal_those_of_its_local_copy(local_demo, object_demo):
    snapshot = open_root(object_demo)
    remote = compute_kris(open_snapshot(snapshot.path, snapshot.storage))
    local = compute_kris(local_demo)
    assert [asdict(k) for k in remote.kris] == [asdict(k) for k in local.kris]
    assert remote.snapshot_id == local.snapshot_id


def test_a_changed_object_is_caught(object_demo):
    snapshot = open_root(object_demo)
    users = snapshot.path / "users.ndjson.gz"
    fs = store(object_demo).fs
    original = fs.cat(str(users))
    fs.pipe(str(users), original[:-1] + bytes([original[-1] ^ 1]))
    check = check_snapshot(snapshot.path, snapshot.storage)
    assert check.snapshot is None
    (problem,) = check.problems
    assert problem.path == users
    assert "differs from the manifest's" in problem.message
    assert str(problem).startswith(f"{object_demo}/users.ndjson.gz: SHA-256 ")


def test_an_object_not_listed_in_the_manifest_is_refused(object_demo):
    snapshot = open_root(object_demo)
    store(object_demo).fs.pipe(f"{snapshot.path}/extra.ndjson.gz", b"")
    check = check_snapshot(snapshot.path, snapshot.storage)
    assert check.snapshot is None
    assert [str(p) for p in check.problems] == [
        f"{snapshot.path}/extra.ndjson.gz: file not listed in the manifest"]


def test_a_snapshot_without_its_manifest_is_never_accepted(object_demo):
    snapshot = open_root(object_demo)
    store(object_demo).fs.rm(f"{snapshot.path}/manifest.json")
    check = check_snapshot(snapshot.path, snapshot.storage)
    assert check.snapshot is None
    assert any("missing, so the snapshot is not complete" in str(p) for p in check.problems)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def succeeds(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_kri_of_a_snapshot_in_s3_equals_that_of_its_local_copy(local_demo, s3_demo):
    remote = json.loads(succeeds("kri", s3_demo, "--format", "json"))
    local = json.loads(succeeds("kri", str(local_demo), "--format", "json"))
    assert remote == local


def test_verify_accepts_a_root_in_s3_and_names_its_chain_head(local_series, s3_series):
    local = succeeds("verify", str(local_series))
    remote = succeeds("verify", s3_series)
    assert f"{SERIES_DAYS} snapshot(s)" in remote
    assert remote.splitlines()[-2:] == local.splitlines()[-2:]


def test_verify_catches_a_changed_object_and_names_its_url(s3_demo):
    users = f"{s3_demo}/users.ndjson.gz"
    fs = store(s3_demo).fs
    original = fs.cat(users)
    fs.pipe(users, original[:-1] + bytes([original[-1] ^ 1]))
    result = invoke("verify", s3_demo)
    assert result.exit_code == 1
    assert f"FAIL {users}: SHA-256 " in result.output
    assert "Traceback" not in result.output


def test_an_unfinished_capture_is_not_a_snapshot_of_the_root(s3_series):
    """Files at their final names without a manifest (a capture still writing, or killed):
    not listed, so trend and verify see the complete snapshots only."""
    newest = f"{s3_series}/{TENANT_ID}/{snapshot_id(SERIES_DAYS - 1)}"
    store(s3_series).fs.rm(f"{newest}/manifest.json")
    assert f"{SERIES_DAYS - 1} snapshot(s)" in succeeds("verify", s3_series)
    points = json.loads(succeeds("trend", s3_series, "--format", "json",
                                 "--kri", "entra_guest_account_count"))
    assert [p["snapshot_id"] for p in points["points"]] == [
        snapshot_id(day) for day in range(SERIES_DAYS - 1)]


def test_explain_of_a_snapshot_in_s3_equals_that_of_its_local_copy(local_demo, s3_demo):
    slug = "entra_privileged_no_mfa_count"
    remote = json.loads(succeeds("explain", s3_demo, slug, "--format", "json"))
    local = json.loads(succeeds("explain", str(local_demo), slug, "--format", "json"))
    assert remote == local


def test_diff_between_snapshots_in_s3(s3_series, local_series):
    old, new = (f"{TENANT_ID}/{snapshot_id(day)}" for day in (0, 1))
    remote = json.loads(succeeds("diff", f"{s3_series}/{old}", f"{s3_series}/{new}",
                                 "--format", "json"))
    local = json.loads(succeeds("diff", str(local_series / old), str(local_series / new),
                                "--format", "json"))
    assert remote["old"].pop("path") == f"{s3_series}/{old}"
    assert remote["new"].pop("path") == f"{s3_series}/{new}"
    for side in ("old", "new"):
        local[side].pop("path")
    assert remote == local
    assert remote["has_differences"]


def test_evidence_pack_of_a_snapshot_in_s3_holds_its_bytes(local_demo, s3_demo, tmp_path):
    succeeds("evidence", s3_demo, "--out", str(tmp_path / "pack.zip"))
    with zipfile.ZipFile(tmp_path / "pack.zip") as pack:
        base = f"snapshot/{local_demo.parent.name}/{local_demo.name}"
        for local in sorted(local_demo.iterdir()):
            assert pack.read(f"{base}/{local.name}") == local.read_bytes(), local.name


def test_query_over_a_root_in_s3_loads_no_extension(s3_series, monkeypatch):
    loaded: list[str] = []

    def record_then_lock_down(con, readable):
        """Once the views have read every object, before the sandbox closes."""
        loaded.extend(name for (name,) in con.execute(
            "select extension_name from duckdb_extensions() where loaded").fetchall())
        lock_down(con, readable)

    monkeypatch.setattr(query_module, "lock_down", record_then_lock_down)
    result = json.loads(succeeds(
        "query", s3_series, "select count(distinct snapshot_id) as n from users",
        "--format", "json"))
    assert result["rows"] == [{"n": SERIES_DAYS}]
    assert loaded and not set(loaded) & {"httpfs", "azure", "aws"}


def test_query_cannot_read_another_object_of_the_bucket(s3_series):
    other = f"{open_root(s3_series).path.key}/other.csv"
    store(s3_series).fs.pipe(other, b"secret\n1\n")
    result = invoke("query", s3_series, f"select * from read_csv('entra-kri-s3://{other}')")
    assert result.exit_code == 2
    assert "The query was refused" in result.output


def test_trend_keeps_its_cache_on_local_disk_and_verify_rechecks_it(s3_series, tmp_path):
    trend = ("trend", s3_series, "--format", "json", "--kri", "entra_guest_account_count")
    first = json.loads(succeeds(*trend))
    caches = list((tmp_path / "xdg-cache").rglob("history.duckdb"))
    assert len(caches) == 1
    assert not [key for key in store(s3_series).fs.find(open_root(s3_series).path.key)
                if "history" in key]
    again = invoke(*trend)
    assert "come from the history cache" in again.stderr
    assert [{**p, "from_cache": True} for p in first["points"]] == json.loads(
        again.stdout)["points"]
    with duckdb.connect(str(caches[0])) as con:
        con.execute("update kri_history set value = value + 1")
    result = invoke("verify", s3_series)
    assert result.exit_code == 1
    assert "the cached entra_guest_account_count" in result.output


def test_report_of_a_root_in_s3(s3_series, tmp_path):
    out = tmp_path / "report.html"
    succeeds("report", s3_series, "--out", str(out))
    assert snapshot_id(SERIES_DAYS - 1) in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", [["verify"], ["gc"], ["runs"], ["prune", "--keep-daily", "1"]])
def test_a_missing_bucket_is_one_paragraph_naming_it(s3_root, command):
    """Every command taking a ROOT checks it the one way (entra_kri/options.py, RootType)."""
    result = invoke(command[0], "s3://no-such-bucket-here/snapshots", *command[1:])
    assert result.exit_code == 1
    assert "there is no bucket or container 'no-such-bucket-here'" in result.output
    assert "Traceback" not in result.output


def test_an_empty_prefix_is_one_paragraph(s3_root):
    result = invoke("trend", f"{s3_root}/nothing-here")
    assert result.exit_code == 1
    assert "nothing is stored under this prefix" in result.output


def test_missing_credentials_are_one_paragraph_without_secrets(s3_demo, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = invoke("kri", s3_demo)
    assert result.exit_code == 1
    assert f"{s3_demo}: no usable credentials for s3:// were found" in result.output
    assert "AWS_ACCESS_KEY_ID" in result.output
    assert "Traceback" not in result.output
    assert FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in result.output


def _opens_per_file(storage) -> Counter:
    """Count the opens of each object through `storage`'s filesystem from now on."""
    opened: Counter = Counter()
    real_open = storage.fs.open

    def counting_open(path, mode="rb", **kwargs):
        opened[str(path).rsplit("/", 1)[-1]] += 1
        return real_open(path, mode, **kwargs)

    storage.fs.open = counting_open
    return opened


def test_verifying_an_object_downloads_it_once(s3_demo):
    """The validator hashes an object into a local copy and checks the content of that copy:
    the bytes it hashed, read from the store once (docs/object-storage.md, "How DuckDB
    reads objects")."""
    snapshot = open_root(s3_demo)
    opened = _opens_per_file(snapshot.storage)
    check_snapshot(snapshot.path, snapshot.storage)
    collections = {name: count for name, count in opened.items() if name.endswith(".gz")}
    assert len(collections) > 5 and set(collections.values()) == {1}


def test_an_object_whose_content_is_not_json_lines_is_named_by_its_url(s3_root, tmp_path):
    """A content problem found in the local copy names the object, never the copy."""
    local = privileged_snapshot(tmp_path / "local")
    write_listed(local, "organization", gzip.compress(b'{"id":"a"}\nroot:x:0:0\n', mtime=0), 2)
    upload(local.parent.parent, s3_root)
    snapshot = open_root(f"{s3_root}/{local.parent.name}/{local.name}")
    (problem,) = check_snapshot(snapshot.path, snapshot.storage).problems
    assert str(problem).startswith(f"{snapshot.path}/organization.ndjson.gz: is not a gzip "
                                   "stream of JSON lines")
    assert "entra-kri-verify-" not in str(problem)
