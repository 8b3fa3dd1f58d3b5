"""Real full and read-only file systems for tests, where this machine lets us mount them.

Tests run as root, where `chmod` does not stop a write: a read-only bind mount and
a tiny tmpfs filled to the last byte are what make the kernel refuse, as it would
for a user on a full or read-only disk. Without the right to mount, these tests
are skipped with that reason.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip() or 'mount failed'}): "
                    "needs root with CAP_SYS_ADMIN")


def _unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(directory: Path) -> None:
    """Write `directory`/.filler until its file system has not one byte left."""
    with (directory / ".filler").open("wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass


@contextmanager
def full_disk(path: Path, seed: Path | None = None) -> Iterator[Path]:
    """`path` as a small tmpfs with not one byte left, holding a copy of `seed` if given."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path))
    try:
        if seed is not None:
            shutil.copytree(seed, path / seed.name)
        fill(path)
        yield path
    finally:
        _unmount(path)


@contextmanager
def read_only(source: Path, path: Path) -> Iterator[Path]:
    """`source` seen through a read-only bind mount at `path`."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(source), str(path))
    try:
        _mount("-o", "remount,bind,ro", str(path))
        yield path
    finally:
        _unmount(path)
