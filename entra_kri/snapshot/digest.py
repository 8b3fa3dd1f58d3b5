"""SHA-256 as the snapshot format records it: lower-case hex of the file's bytes."""

from __future__ import annotations

import hashlib
from typing import BinaryIO

_CHUNK = 1 << 20


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def sha256_stream(stream: BinaryIO, already_read: bytes = b"") -> str:
    """The SHA-256 of `already_read` followed by everything left in `stream` (1 MiB reads)."""
    digest = hashlib.sha256(already_read)
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


class HashingWriter:
    """A binary sink that hashes and counts what passes through to `raw` (capture side)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()
