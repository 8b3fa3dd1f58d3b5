"""The tenant lock (entra_kri/lock.py): written atomically, a stale lock taken over once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from entra_kri import lock
from entra_kri.lock import LOCK_FILE, LockedError, tenant_lock

DEAD_PID = 2**22 + 12345
LONG_AGO = time.time() - 3600


def _write_lock(directory, text, mtime=None):
    path = directory / LOCK_FILE
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def test_a_write_failure_leaves_no_lock_file(tmp_path):
    """Disk full while writing the lock: no 0-byte `.lock` stays behind to block every run.

    The child process may create files but not write a byte into them
    (RLIMIT_FSIZE = 0), as on a full disk where creating an empty file still works.
    """
    child = f"""
import resource, signal, sys
from pathlib import Path
from entra_kri.lock import tenant_lock
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
try:
    with tenant_lock(Path({str(tmp_path)!r})):
        sys.exit("the lock was taken without writing it")
except OSError as exc:
    print(type(exc).__name__, exc.errno)
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    with tenant_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_an_empty_lock_older_than_the_stale_age_is_taken_over(tmp_path, caplog):
    _write_lock(tmp_path, "", mtime=LONG_AGO)
    with tenant_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()
    assert "Taking over the lock" in caplog.text
    assert not (tmp_path / LOCK_FILE).exists()


def test_an_unreadable_lock_older_than_the_stale_age_is_taken_over(tmp_path):
    _write_lock(tmp_path, '{"pid": 12', mtime=LONG_AGO)
    with tenant_lock(tmp_path):
        assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == os.getpid()


def test_a_fresh_empty_lock_is_refused_without_pid_none(tmp_path):
    """A lock being written right now is empty for a moment: not stale, and said so."""
    _write_lock(tmp_path, "")
    with pytest.raises(LockedError) as refused, tenant_lock(tmp_path):
        pass
    assert "pid None" not in refused.value.message
    assert "empty or unreadable" in refused.value.message
    assert (tmp_path / LOCK_FILE).exists()


def test_a_lock_on_another_host_is_never_taken_over(tmp_path):
    _write_lock(tmp_path, json.dumps({"pid": DEAD_PID, "host": "elsewhere", "started": "x"}),
                mtime=LONG_AGO)
    with pytest.raises(LockedError, match="elsewhere"), tenant_lock(tmp_path):
        pass


def test_the_holder_releases_only_its_own_lock(tmp_path, caplog):
    """If the lock was replaced while held (deleted by hand, then retaken), leave the new one."""
    with tenant_lock(tmp_path):
        (tmp_path / LOCK_FILE).unlink()
        _write_lock(tmp_path, json.dumps({"pid": 1, "host": "other", "started": "x"}))
    assert json.loads((tmp_path / LOCK_FILE).read_text())["host"] == "other"
    assert "no longer ours" in caplog.text


def test_two_processes_taking_over_a_stale_lock_never_both_hold_it(tmp_path, monkeypatch):
    """The race forced: every contender sees the same dead holder, then all take over at once.

    The liveness check is slowed so that all threads read the stale lock before any
    of them acts on it. Exactly one contender may hold the lock at any time.
    """
    real_alive = lock._alive

    def slow_alive(pid: int) -> bool:
        time.sleep(0.02)
        return real_alive(pid)

    monkeypatch.setattr(lock, "_alive", slow_alive)
    contenders, trials = 6, 15
    for trial in range(trials):
        directory = tmp_path / str(trial)
        directory.mkdir()
        _write_lock(directory, json.dumps(
            {"pid": DEAD_PID, "host": os.uname().nodename, "started": "x"}))
        start = threading.Barrier(contenders)
        holding, most, won, guard = [0], [0], [0], threading.Lock()

        def contend(directory=directory, start=start, holding=holding, most=most, won=won,
                    guard=guard) -> None:
            start.wait()
            try:
                with tenant_lock(directory):
                    with guard:
                        holding[0] += 1
                        won[0] += 1
                        most[0] = max(most[0], holding[0])
                    time.sleep(0.03)
                    with guard:
                        holding[0] -= 1
            except LockedError:
                pass

        threads = [threading.Thread(target=contend) for _ in range(contenders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert most[0] == 1, f"trial {trial}: {most[0]} contenders held the lock at once"
        assert won[0] >= 1
        assert not (directory / LOCK_FILE).exists()


def test_a_local_lock_file_is_judged_by_its_process_even_if_it_holds_an_expires(tmp_path):
    """docs/operations.md, "The tenant lock": a lock file on a local disk is stale when its
    process is gone, whatever else it holds."""
    (tmp_path / LOCK_FILE).write_text(json.dumps(
        {"pid": 2**22 + 12345, "host": socket.gethostname(), "expires": "2999-01-01T00:00:00Z"}))
    with tenant_lock(tmp_path):
        assert "expires" not in json.loads((tmp_path / LOCK_FILE).read_text())


def test_a_created_lock_file_is_known_as_written_without_reading_it_back(tmp_path):
    """`create` returns the lock a read finds (the identity `remove_if` checks), so its
    holder releases it without reading it first."""
    store = lock.LockFileStore(tmp_path / LOCK_FILE)
    created = store.create({"pid": os.getpid(), "host": "here"})
    found = store.read()
    assert created is not None and found is not None
    assert (created.identity, created.holder) == (found.identity, found.holder)
    assert store.create({"pid": 1, "host": "here"}) is None  # one exists
    assert store.remove_if(created) and not (tmp_path / LOCK_FILE).exists()
