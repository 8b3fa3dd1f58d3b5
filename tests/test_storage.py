"""Full disks and read-only directories (entra_kri/storage.py): one paragraph, no partial file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from entra_kri.cli import cli
from tests.conftest import DEMO_CASSETTE
from tests.mounts import fill, full_disk, read_only


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_paragraph(result, *expected):
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for text in expected:
        assert text in result.stderr


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    result = invoke("snapshot", "--replay", DEMO_CASSETTE, "--out", root)
    assert result.exit_code == 0, result.output
    return root, result.stdout.strip()


def test_snapshot_on_a_full_disk_is_one_paragraph_and_leaves_no_partial(tmp_path):
    with full_disk(tmp_path / "full") as full:
        result = invoke("snapshot", "--replay", DEMO_CASSETTE, "--out", full / "snaps")
        one_paragraph(result, "No space left on device", "Free some space")
        left = [p.name for p in (full / "snaps").rglob("*")]
    assert not [name for name in left if name[:8].isdigit() or name.endswith(".partial")]


def test_snapshot_into_a_read_only_directory_is_one_paragraph(tmp_path):
    (tmp_path / "source").mkdir()
    with read_only(tmp_path / "source", tmp_path / "ro") as ro:
        result = invoke("snapshot", "--replay", DEMO_CASSETTE, "--out", ro / "snaps")
        one_paragraph(result, "Read-only file system", "write elsewhere")


@pytest.mark.parametrize("command", ["evidence", "report", "trend"])
def test_an_output_on_a_full_disk_leaves_no_truncated_file(command, demo_snapshot, tmp_path):
    root, snapshot = demo_snapshot
    with full_disk(tmp_path / "full") as full:
        out = full / {"evidence": "e.zip", "report": "r.html", "trend": "t.png"}[command]
        args = {"evidence": ["evidence", snapshot, "--out", out],
                "report": ["report", root, "--out", out],
                "trend": ["trend", root, "--format", "png", "--out", out]}[command]
        result = invoke(*args)
        one_paragraph(result, str(out), "No space left on device")
        assert sorted(p.name for p in full.iterdir()) == [".filler"]


@pytest.mark.parametrize("command", ["evidence", "report", "trend"])
def test_an_output_in_a_read_only_directory_is_one_paragraph(command, demo_snapshot,
                                                              tmp_path):
    root, snapshot = demo_snapshot
    (tmp_path / "source").mkdir()
    with read_only(tmp_path / "source", tmp_path / "ro") as ro:
        out = ro / "out.file"
        args = {"evidence": ["evidence", snapshot, "--out", out],
                "report": ["report", root, "--out", out],
                "trend": ["trend", root, "--format", "png", "--out", out]}[command]
        one_paragraph(invoke(*args), "Read-only file system")


def test_a_report_that_runs_out_of_space_leaves_no_file(demo_snapshot, tmp_path, monkeypatch):
    """Without mounting (runs everywhere): the disk fills up half-way through the write."""
    import errno
    from pathlib import Path

    root, _ = demo_snapshot
    real_write_text = Path.write_text

    def half_then_full(self, data, *args, **kwargs):
        real_write_text(self, data[: len(data) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_full)
    out = tmp_path / "out" / "r.html"
    one_paragraph(invoke("report", root, "--out", out), str(out), "No space left on device")
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("cached", [False, True], ids=["no_cache", "existing_cache"])
def test_trend_and_report_work_on_a_read_only_archive(cached, demo_snapshot, tmp_path):
    """The history cache cannot be written there: values are computed without it."""
    import shutil

    root, _ = demo_snapshot
    archive = tmp_path / "archive"
    shutil.copytree(root, archive, ignore=shutil.ignore_patterns("history*"))
    if cached:
        assert invoke("trend", archive).exit_code == 0
    with read_only(archive, tmp_path / "ro") as ro:
        trend = invoke("trend", ro, "--format", "json")
        assert trend.exit_code == 0, trend.output
        assert "cannot be written" in trend.stderr
        assert json.loads(trend.stdout)
        report = invoke("report", ro, "--out", tmp_path / "r.html")
        assert report.exit_code == 0, report.output
        assert (tmp_path / "r.html").stat().st_size > 1000


def test_trend_on_a_full_disk_computes_without_its_cache(demo_snapshot, tmp_path):
    import shutil

    root, _ = demo_snapshot
    archive = tmp_path / "archive"
    shutil.copytree(root, archive, ignore=shutil.ignore_patterns("history*"))
    with full_disk(tmp_path / "full", seed=archive) as full:
        trend = invoke("trend", full / archive.name, "--format", "json")
    assert trend.exit_code == 0, trend.output
    assert "cannot be written" in trend.stderr and json.loads(trend.stdout)


def test_a_write_error_without_a_file_name_still_reads_as_one_sentence():
    import errno

    from entra_kri.storage import storage_error

    message = storage_error(OSError(errno.ENOSPC, "No space left on device")).message
    assert message.startswith("A file could not be written: No space left on device")
    assert "None" not in message


@pytest.mark.parametrize("command", ["trend", "report"])
def test_a_disk_that_fills_while_the_history_cache_is_written_is_one_paragraph(
        command, demo_snapshot, tmp_path, monkeypatch):
    """The cache opens, then the disk fills before a value is stored: DuckDB's own failure
    to write its log becomes the one-paragraph storage error naming the cache."""
    import shutil

    from entra_kri.analysis import history

    root, _ = demo_snapshot
    archive = tmp_path / "archive"
    shutil.copytree(root, archive, ignore=shutil.ignore_patterns("history*"))
    real_compute = history._compute

    def compute_then_fill(*args, **kwargs):
        rows = real_compute(*args, **kwargs)
        fill(full)
        return rows

    monkeypatch.setattr(history, "_compute", compute_then_fill)
    with full_disk(tmp_path / "full", seed=archive) as full:
        (full / ".filler").unlink()
        snapshots = full / archive.name
        cache = next(snapshots.iterdir()) / history.HISTORY_FILE
        args = {"trend": ["trend", snapshots],
                "report": ["report", snapshots, "--out", tmp_path / "r.html"]}[command]
        one_paragraph(invoke(*args), str(cache), "No space left on device", "Free some space")
        monkeypatch.setattr(history, "_compute", real_compute)
        (full / ".filler").unlink()
        again = invoke("trend", snapshots, "--format", "json")
        assert again.exit_code == 0, again.output  # what was left of the cache is no harm
    assert not (tmp_path / "r.html").exists()


def turn_read_only_at_first_insert(cache, monkeypatch):
    """The history cache at `cache` fails its first insert as DuckDB does when its
    directory has become read-only; other DuckDB connections are left alone."""
    import duckdb

    real_connect = duckdb.connect

    class TurnsReadOnly:
        def __init__(self, connection):
            self.connection = connection

        def execute(self, sql, *args):
            if sql.startswith("insert"):
                raise duckdb.IOException(f'IO Error: Could not write file "{cache}.wal": '
                                         "Read-only file system")
            return self.connection.execute(sql, *args)

        def close(self):
            self.connection.close()

    def connect(database=":memory:", *args, **kwargs):
        connection = real_connect(database, *args, **kwargs)
        return TurnsReadOnly(connection) if database == str(cache) else connection

    monkeypatch.setattr(duckdb, "connect", connect)


def test_a_directory_that_turns_read_only_while_the_history_cache_is_written(
        demo_snapshot, tmp_path, monkeypatch):
    """Runs everywhere: the cache's connection fails its first insert as DuckDB does when
    its directory has become read-only."""
    from entra_kri.analysis import history

    root, _ = demo_snapshot
    cache = next(root.iterdir()) / history.HISTORY_FILE
    cache.unlink(missing_ok=True)
    turn_read_only_at_first_insert(cache, monkeypatch)
    one_paragraph(invoke("trend", root), str(cache), "Read-only file system",
                  "write elsewhere")


def test_a_failing_history_cache_of_an_object_store_root_is_named_where_it_is(
        demo_snapshot, s3_root, tmp_path, monkeypatch):
    """For a root in an object store the cache is on local disk, in the user's cache
    directory (docs/object-storage.md, "The history cache of a root in a store"): the
    error names that file, the one to fix, not a key in the store."""
    from entra_kri.analysis import history

    from entra_kri.snapshot.roots import open_root
    from tests.object_store import upload

    root, _ = demo_snapshot
    upload(root, s3_root)
    (tenant,) = [d.name for d in root.iterdir() if d.is_dir()]
    cache = history.history_file(open_root(f"{s3_root}/{tenant}").path)
    turn_read_only_at_first_insert(cache, monkeypatch)
    result = invoke("trend", s3_root)
    one_paragraph(result, str(cache), "Read-only file system")
    assert "s3://" not in result.stderr
