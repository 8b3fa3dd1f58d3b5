"""Where snapshot bytes come from: the one seam between the format and a file system.

The validator and the manifest reader touch files only through a `Storage`:
look at one entry without following links (`entry`), list a directory
(`list_dir`), open a file for reading (`open_read`), and name a file for
DuckDB (`sql_location`). `LOCAL` is the local file system; another store (an
object store, say) is another implementation of these four methods.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, Protocol

Kind = Literal["file", "directory", "symlink", "other"]

# DuckDB expands these in any path it reads; a bracket class makes each one literal.
_GLOB_ESCAPES = str.maketrans({"[": "[[]", "*": "[*]", "?": "[?]"})


@dataclass(frozen=True)
class Entry:
    """What is at a path, links not followed: its kind and size in bytes."""

    kind: Kind
    size: int


class Storage(Protocol):
    """The file operations of the snapshot format."""

    def entry(self, path: Path) -> Entry | None:
        """What is at `path` (a symlink is reported as such, never followed); None if nothing."""

    def list_dir(self, path: Path) -> list[str]:
        """The names in directory `path`, sorted."""

    def open_read(self, path: Path) -> BinaryIO:
        """`path` opened for reading bytes; refuses to follow a symlink at `path`."""

    def sql_location(self, path: Path) -> str:
        """`path` as DuckDB's readers take it, naming that one file and no other."""


class LocalStorage:
    """The local file system."""

    def entry(self, path: Path) -> Entry | None:
        try:
            info = path.lstat()
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(info.st_mode):
            return Entry("symlink", info.st_size)
        if stat.S_ISDIR(info.st_mode):
            return Entry("directory", info.st_size)
        if stat.S_ISREG(info.st_mode):
            return Entry("file", info.st_size)
        return Entry("other", info.st_size)

    def list_dir(self, path: Path) -> list[str]:
        return sorted(os.listdir(path))

    def open_read(self, path: Path) -> BinaryIO:
        # O_NOFOLLOW: a link swapped in after `entry` looked is refused, not followed.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        return os.fdopen(fd, "rb")

    def sql_location(self, path: Path) -> str:
        return str(path.absolute()).translate(_GLOB_ESCAPES)


LOCAL: Storage = LocalStorage()
