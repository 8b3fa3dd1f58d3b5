"""Azure Blob on Azurite: what the commit of a snapshot relies on (docs/object-storage.md).

A snapshot in an object store exists once its manifest does, and the manifest is
written create-only, so of two writers exactly one commits. On Azure that is an
upload with `If-None-Match: *` (adlfs: `mode="create"`, or opening with "xb").
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import fsspec
import pytest

from fake_graph import allow_loopback

pytestmark = allow_loopback


def blob_key(root: str, name: str) -> str:
    return f"{root.removeprefix('az://')}/{name}"


def test_a_second_create_only_write_of_a_blob_is_refused_and_the_first_kept(azure_root):
    fs = fsspec.filesystem("az", skip_instance_cache=True)
    key = blob_key(azure_root, "manifest.json")
    fs.pipe_file(key, b"first", mode="create")
    with pytest.raises(FileExistsError):
        fs.pipe_file(key, b"second", mode="create")
    with pytest.raises(FileExistsError), fs.open(key, "xb") as out:
        out.write(b"third")
    assert fs.cat_file(key) == b"first"


def test_of_two_writers_racing_to_create_a_blob_exactly_one_succeeds(azure_root):
    fs = fsspec.filesystem("az", skip_instance_cache=True)
    key = blob_key(azure_root, "manifest.json")

    def create(data: bytes) -> bool:
        try:
            fs.pipe_file(key, data, mode="create")
        except FileExistsError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=2) as pool:
        won = list(pool.map(create, [b"writer-a", b"writer-b"]))
    assert sorted(won) == [False, True]
    assert fs.cat_file(key) == (b"writer-a" if won[0] else b"writer-b")
