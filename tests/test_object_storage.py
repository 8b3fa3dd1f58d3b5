"""The read side of object-store roots (docs/object-storage.md): `open_root`, `ObjectStorage`
on a local S3 (moto) and Azure Blob (Azurite), and how DuckDB reads an object."""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath

import duckdb
import pytest

from entra_kri.errors import ConfigurationError, StoreError
from entra_kri.snapshot.object_storage import ObjectPath, ObjectStorage
from entra_kri.snapshot.roots import Root, open_root
from entra_kri.snapshot.storage import LOCAL, Entry
from tests.object_store import store


def test_a_local_root_is_the_local_file_system_as_given():
    assert open_root("snapshots/demo") == Root(LOCAL, Path("snapshots/demo"), "snapshots/demo")
    assert open_root(Path("/srv/kri")) == Root(LOCAL, Path("/srv/kri"), "/srv/kri")


def test_a_path_with_a_colon_but_no_scheme_is_local():
    assert open_root("backup:2026/demo").storage is LOCAL


def test_an_unknown_scheme_is_refused_naming_the_supported_ones():
    with pytest.raises(ConfigurationError) as refused:
        open_root("ftp://host/snapshots")
    assert "ftp://" in refused.value.cause
    assert "s3://" in refused.value.fix and "gs://" in refused.value.fix


def test_a_url_without_a_bucket_is_refused():
    with pytest.raises(ConfigurationError, match="names no bucket"):
        open_root("s3://")


def test_a_url_with_credentials_is_refused_without_echoing_them():
    with pytest.raises(ConfigurationError) as refused:
        open_root("s3://AKIAEXAMPLE:hunter2secret@bucket/snapshots")
    assert "hunter2secret" not in refused.value.message
    assert "AKIAEXAMPLE" not in refused.value.message


def test_a_missing_extra_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "s3fs", None)  # import s3fs now raises ImportError
    with pytest.raises(ConfigurationError) as refused:
        open_root("s3://bucket/snapshots")
    assert "pip install 'entra-kri[s3]'" in refused.value.fix


@pytest.mark.parametrize(("url", "extra"), [("az://container/p", "azure"),
                                            ("abfs://container/p", "azure"),
                                            ("gs://bucket/p", "gcs")])
def test_each_store_names_its_own_extra(monkeypatch, url, extra):
    monkeypatch.setitem(sys.modules, "adlfs", None)
    monkeypatch.setitem(sys.modules, "gcsfs", None)
    with pytest.raises(ConfigurationError, match=rf"entra-kri\[{extra}\]"):
        open_root(url)


def test_an_object_path_shows_its_url_and_keeps_it_when_derived(object_root):
    path = open_root(object_root).path
    child = path / "tenant" / "users.ndjson.gz"
    assert isinstance(child, ObjectPath) and isinstance(child, PurePosixPath)
    assert str(child) == f"{object_root}/tenant/users.ndjson.gz"
    assert child.key == object_root.split("://")[1] + "/tenant/users.ndjson.gz"
    assert str(child.parent.parent) == object_root
    assert child.name == "users.ndjson.gz"


def test_entry_tells_files_from_prefixes_and_absent_keys(object_root):
    root = open_root(object_root)
    store(object_root).fs.pipe(f"{root.path}/tenant/a.txt", b"hello")
    found = root.storage.entry(root.path / "tenant" / "a.txt")
    assert (found.kind, found.size) == ("file", 5) and found.modified is not None
    assert root.storage.entry(root.path / "tenant") == Entry("directory", 0)
    assert root.storage.entry(root.path) == Entry("directory", 0)
    assert root.storage.entry(root.path / "tenant" / "b.txt") is None
    assert root.storage.entry(root.path / "other") is None


def test_list_dir_gives_the_names_under_a_prefix_sorted(object_root):
    root = open_root(object_root)
    fs = store(object_root).fs
    for key in ("b.txt", "a.txt", "sub/c.txt"):
        fs.pipe(f"{root.path}/{key}", b"x")
    assert root.storage.list_dir(root.path) == ["a.txt", "b.txt", "sub"]
    assert root.storage.list_dir(root.path / "sub") == ["c.txt"]


def test_open_read_gives_the_object_bytes(object_root):
    root = open_root(object_root)
    store(object_root).fs.pipe(f"{root.path}/a.bin", bytes(range(256)) * 10)
    with root.storage.open_read(root.path / "a.bin") as stream:
        assert stream.read() == bytes(range(256)) * 10


def test_the_store_is_read_as_it_is_now_not_as_first_listed(object_root):
    root = open_root(object_root)
    fs = store(object_root).fs
    fs.pipe(f"{root.path}/a.txt", b"x")
    assert root.storage.list_dir(root.path) == ["a.txt"]
    fs.pipe(f"{root.path}/b.txt", b"x")
    assert root.storage.list_dir(root.path) == ["a.txt", "b.txt"]


def test_duckdb_reads_an_object_through_our_filesystem_and_loads_no_extension(object_root):
    root = open_root(object_root)
    store(object_root).fs.pipe(f"{root.path}/rows.csv", b"n\n1\n2\n")
    location = root.storage.sql_location(root.path / "rows.csv")
    assert location.startswith("entra-kri-" + object_root.split(":")[0] + "://")
    with duckdb.connect(":memory:") as con:
        root.storage.attach_to(con)
        assert con.execute("select sum(n) from read_csv(?)", [location]).fetchone() == (3,)
        loaded = {name for (name,) in con.execute(
            "select extension_name from duckdb_extensions() where loaded").fetchall()}
    assert not loaded & {"httpfs", "azure", "aws"}


def test_duckdb_cannot_read_a_store_url_without_the_extensions(object_root):
    """The s3:// or az:// spelling is refused, not served by an autoloaded httpfs or azure."""
    root = open_root(object_root)
    store(object_root).fs.pipe(f"{root.path}/rows.csv", b"n\n1\n")
    with duckdb.connect(":memory:") as con:
        root.storage.attach_to(con)
        with pytest.raises(duckdb.Error):
            con.execute("select * from read_csv(?)", [f"{root.path}/rows.csv"]).fetchall()
        loaded = {name for (name,) in con.execute(
            "select extension_name from duckdb_extensions() where loaded").fetchall()}
    assert not loaded & {"httpfs", "azure"}


def test_duckdb_names_one_object_even_when_its_key_looks_like_a_pattern(object_root):
    root = open_root(object_root)
    fs = store(object_root).fs
    fs.pipe(f"{root.path}/a*.csv", b"n\n1\n")
    fs.pipe(f"{root.path}/ab.csv", b"n\n100\n")
    with duckdb.connect(":memory:") as con:
        root.storage.attach_to(con)
        location = root.storage.sql_location(root.path / "a*.csv")
        assert con.execute("select sum(n) from read_csv(?)", [location]).fetchone() == (1,)


class FailingFileSystem:
    """Stands in for a store's filesystem that fails every call with `error`."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def info(self, *args: object, **kwargs: object) -> dict:
        raise self.error

    ls = open = info


def failing_storage(error: Exception) -> ObjectStorage:
    return ObjectStorage(FailingFileSystem(error), "s3", credential_sources="AWS_ACCESS_KEY_ID")


def test_access_denied_names_the_object_and_the_fix():
    storage = failing_storage(PermissionError("Access Denied"))
    with pytest.raises(StoreError) as refused:
        storage.list_dir(storage.path("bkt/root"))
    assert refused.value.cause == "s3://bkt/root: access denied by the store."
    assert "read access" in refused.value.fix


def test_an_unreachable_endpoint_is_named_without_its_credentials():
    botocore = pytest.importorskip("botocore.exceptions")
    error = botocore.EndpointConnectionError(endpoint_url="http://user:pa55word@minio:9000/x")
    storage = failing_storage(error)
    with pytest.raises(StoreError) as refused:
        storage.entry(storage.path("bkt/root"))
    assert refused.value.cause == ("s3://bkt/root: the store could not be reached "
                                   "(EndpointConnectionError).")
    assert "pa55word" not in refused.value.message


def test_a_missing_key_is_nothing_there_not_a_store_error():
    storage = failing_storage(FileNotFoundError("no such key"))
    assert storage.entry(storage.path("bkt/root/a")) is None
    with pytest.raises(FileNotFoundError):
        storage.open_read(storage.path("bkt/root/a"))


def test_a_bug_is_not_disguised_as_a_store_error():
    storage = failing_storage(TypeError("a bug"))
    with pytest.raises(TypeError):
        storage.entry(storage.path("bkt/root"))
