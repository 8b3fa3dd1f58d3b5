"""The README's "Snapshots on object storage" walk-through, run as written (on a free port
instead of 9000): the demo captured straight to a local S3 gives the KRIs of the same
cassette captured to local disk, `verify`, `trend`, `report` and `lake export` read it,
and a capture killed midway leaves no snapshot and only leftovers that `gc` removes."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from contextlib import suppress
from pathlib import Path

import pytest
from click.testing import CliRunner

from entra_kri.cli import cli
from tests.conftest import DEMO_CASSETTE

REPO = Path(__file__).parent.parent
HEADING = "### Snapshots on object storage"


def walk_through() -> str:
    """The shell block of the README's section on object storage."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index(HEADING):]
    return re.search(r"```\n(.*?)```", section, re.DOTALL).group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A fresh directory with the clone's .venv and fixtures, as after `make install`."""
    for name in (".venv", "fixtures"):
        (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


def test_the_readme_object_storage_walk_through_works_as_written(workdir, tmp_path_factory):
    script = re.sub(r"\b9000\b", str(free_port()), walk_through())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    home = workdir / "home"  # trend's history cache of an object-store root goes under it
    env.update(HOME=str(home), XDG_CACHE_HOME="")
    shell = subprocess.Popen(["bash", "-e", "-c", script], cwd=workdir, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
    try:
        out, err = shell.communicate(timeout=300)
    finally:  # the servers it started in the background, should it have stopped early
        with suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGKILL)
    assert shell.returncode == 0, f"{out}\n{err}"
    local = tmp_path_factory.mktemp("local")
    path = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE), "--out",
                                    str(local)]).stdout.strip()
    table = CliRunner().invoke(cli, ["kri", path]).stdout
    assert table in out  # the same KRIs, to the last digit
    assert (workdir / "report-s3.html").stat().st_size > 0
    tenant = Path(path).parent.name
    assert f"{tenant}: 1 exported, 0 already in the lake, 0 refused" in out
    assert list((workdir / "lake-s3" / "kri_values").glob(f"tenant_id={tenant}/*/*.parquet"))
    # An object-store root keeps its history cache in the user's cache directory, never in
    # the store (docs/object-storage.md, "The history cache of a root in a store").
    assert list(home.glob(".cache/entra-kri/history/*/history.duckdb")), "no history cache"
    assert "come from the history cache" not in err  # trend computed them from S3
    assert "skipped: Another run holds the lease" in err  # gc never races a live lease
    killed = re.search(r"would remove files of an uncommitted snapshot (\S+)", out)
    assert killed, out
    assert f"removed files of an uncommitted snapshot {killed.group(1)}" in out
