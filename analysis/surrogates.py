"""Lone UTF-16 surrogates: legal JSON that DuckDB's JSON reader refuses.

A snapshot keeps a lone surrogate as the JSON escape Graph sent (`\\ud800`,
docs/snapshot-format.md). DuckDB refuses such a string, so staging reads a
snapshot holding one through a readable copy: each file that holds a lone
surrogate escape is rewritten with U+FFFD, the replacement character, in its
place; every other file is read as it is. The snapshot itself is never changed.
"""

from __future__ import annotations

import gzip
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import BinaryIO

import duckdb

from entra_kri.snapshot.roots import storage_of

# An escaped backslash (kept), a surrogate pair (kept), or a lone surrogate escape.
_ESCAPE = re.compile(rb"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
                     rb"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_LENGTH = len(rb"\ud800")
REPLACEMENT = rb"\ufffd"


def is_lone_surrogate_error(exc: duckdb.Error) -> bool:
    """Whether DuckDB refused a JSON string for a lone surrogate escape."""
    return "surrogate in string" in str(exc)


def replace_lone_surrogates(json_text: bytes) -> bytes:
    """`json_text` with each lone surrogate escape replaced by the escape of U+FFFD."""
    return _ESCAPE.sub(lambda m: REPLACEMENT if len(m.group()) == _LONE_LENGTH else m.group(),
                       json_text)


def readable_file(path: PurePath, into: Path) -> PurePath:
    """`path` itself if DuckDB can read it, else a copy under `into`/<its directory's name>/
    with each lone surrogate escape replaced (the snapshot id stays in the copy's path)."""
    if not _holds_surrogate_escape(path):
        return path
    copy = into / path.parent.name / path.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    _write_replaced(path, copy)
    return copy


@contextmanager
def readable_copy(snapshot_dir: PurePath, files: list[str]) -> Iterator[Path]:
    """A temporary local directory holding `files` of `snapshot_dir` as DuckDB can read
    them: copies where `readable_file` made one, links to the snapshot's own files
    elsewhere (copies of their bytes, for a snapshot in an object store)."""
    with tempfile.TemporaryDirectory(prefix="entra-kri-readable-") as tmp:
        copy = Path(tmp) / "snapshot"
        copy.mkdir()
        for name in files:
            readable = readable_file(snapshot_dir / name, Path(tmp) / "copies")
            if isinstance(readable, Path):
                (copy / name).symlink_to(readable.resolve())
            else:
                with _open(readable) as source, (copy / name).open("wb") as target:
                    shutil.copyfileobj(source, target)
        yield copy


def _is_gzip(path: PurePath) -> bool:
    return path.name.endswith(".gz")


@contextmanager
def _open(path: PurePath) -> Iterator[BinaryIO]:
    """The bytes of `path`, wherever its storage keeps them."""
    with storage_of(path).open_read(path) as stream:
        yield stream


@contextmanager
def _lines(path: PurePath) -> Iterator[BinaryIO]:
    """The uncompressed bytes of `path` (a .gz is decompressed), to iterate by line."""
    with _open(path) as raw:
        if not _is_gzip(path):
            yield raw
            return
        with gzip.open(raw, "rb") as lines:
            yield lines


def _holds_surrogate_escape(path: PurePath) -> bool:
    with _lines(path) as lines:
        return any(_SURROGATE_ESCAPE.search(line) for line in lines)


def _write_replaced(source: PurePath, target: Path) -> None:
    if _is_gzip(source):
        with _lines(source) as lines, gzip.open(target, "wb", compresslevel=1) as out:
            for line in lines:
                out.write(replace_lone_surrogates(line))
    else:
        with _open(source) as raw:
            target.write_bytes(replace_lone_surrogates(raw.read()))
