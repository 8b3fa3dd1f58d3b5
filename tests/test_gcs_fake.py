"""tests/gcs_fake.py answers as Google documents the JSON API (docs/object-storage.md,
"Google Cloud Storage: what is and is not tested"): the tests of gs:// roots are only as
good as this model, so its answers to preconditions, listings and ranges are checked here
through gcsfs, as entra-kri reaches it."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from entra_kri.snapshot.roots import open_root
from tests.gcs_fake import bucket_of


@pytest.fixture
def gcs(gcs_root):
    """(gcsfs filesystem, bucket) of a fresh bucket on the fake."""
    return open_root(gcs_root).storage.fs, bucket_of(gcs_root)


def _insert(fs, bucket, name, data, **conditions):
    return fs.call("POST", f"{fs._location}/upload/storage/v1/b/{{}}/o", bucket,
                   uploadType="media", name=name, data=data, json_out=True, **conditions)


def _get(fs, bucket, name, **parameters):
    return fs.call("GET", "b/{}/o/{}", bucket, name, json_out="alt" not in parameters,
                   **parameters)


def test_every_write_gives_a_new_generation_and_metageneration_1(gcs):
    fs, bucket = gcs
    first, second = (_insert(fs, bucket, "a", data) for data in (b"1", b"2"))
    assert first["generation"] != second["generation"]
    assert first["metageneration"] == second["metageneration"] == "1"
    assert _get(fs, bucket, "a")["generation"] == second["generation"]


def test_if_generation_match_holds_only_for_the_live_generation_or_0_for_none(gcs):
    fs, bucket = gcs
    written = _insert(fs, bucket, "a", b"1", ifGenerationMatch="0")
    with pytest.raises(FileExistsError):  # gcsfs's reading of GCS's 412
        _insert(fs, bucket, "a", b"2", ifGenerationMatch="0")
    with pytest.raises(FileExistsError):
        _insert(fs, bucket, "b", b"2", ifGenerationMatch=written["generation"])
    replaced = _insert(fs, bucket, "a", b"3", ifGenerationMatch=written["generation"])
    with pytest.raises(FileExistsError):
        fs.call("DELETE", "b/{}/o/{}", bucket, "a", ifGenerationMatch=written["generation"])
    with pytest.raises(FileExistsError):
        _get(fs, bucket, "a", alt="media", ifMetagenerationMatch="2")
    assert _get(fs, bucket, "a", alt="media", ifGenerationMatch=replaced["generation"])[1] == (
        b"3")
    fs.call("DELETE", "b/{}/o/{}", bucket, "a", ifGenerationMatch=replaced["generation"])
    with pytest.raises(FileNotFoundError):  # 404 for a missing object, whatever the condition
        fs.call("DELETE", "b/{}/o/{}", bucket, "a", ifGenerationMatch=replaced["generation"])


def _raw(fake, method: str, path: str) -> tuple[int, bytes]:
    """The status and body the fake answers, read without gcsfs (which reads only the
    status of an error, and takes a 304 for a success)."""
    request = urllib.request.Request(f"{fake.endpoint}{path}", method=method)
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_a_not_match_condition_that_fails_is_304_not_modified(gcs_fake, gcs):
    fs, bucket = gcs
    written = _insert(fs, bucket, "a", b"1")
    status, _ = _raw(gcs_fake, "GET", f"/storage/v1/b/{bucket}/o/a"
                                      f"?ifGenerationNotMatch={written['generation']}")
    assert status == 304


def test_a_failed_condition_is_412_with_gcs_error_body(gcs_fake, gcs):
    fs, bucket = gcs
    _insert(fs, bucket, "a", b"1")
    status, body = _raw(gcs_fake, "DELETE", f"/storage/v1/b/{bucket}/o/a?ifGenerationMatch=1")
    error = json.loads(body)["error"]
    assert status == error["code"] == 412
    assert error["errors"][0]["reason"] == "conditionNotMet"
    status, body = _raw(gcs_fake, "GET", f"/storage/v1/b/{bucket}/o/missing")
    assert status == 404 and json.loads(body)["error"]["errors"][0]["reason"] == "notFound"


def test_of_writers_racing_to_create_one_object_exactly_one_succeeds(gcs):
    fs, bucket = gcs
    start, won, lost = threading.Barrier(8), [], []

    def create(number: int) -> None:
        start.wait()
        try:
            _insert(fs, bucket, "lease", str(number).encode(), ifGenerationMatch="0")
            won.append(number)
        except FileExistsError:
            lost.append(number)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(lost) == 7
    assert _get(fs, bucket, "lease", alt="media")[1] == str(won[0]).encode()


def test_a_listing_pages_items_and_prefixes_together(gcs):
    fs, bucket = gcs
    for name in ("p/a", "p/b", "p/d/x", "p/d/y", "p/e/z", "q"):
        _insert(fs, bucket, name, b"x")
    seen, token = [], None
    while True:
        page = fs.call("GET", "b/{}/o", bucket, prefix="p/", delimiter="/", maxResults=2,
                       pageToken=token, json_out=True)
        entries = [i["name"] for i in page.get("items", [])] + page.get("prefixes", [])
        assert len(entries) <= 2
        seen += entries
        token = page.get("nextPageToken")
        if token is None:
            break
    assert sorted(seen) == ["p/a", "p/b", "p/d/", "p/e/"]


def test_a_range_is_answered_with_those_bytes(gcs):
    fs, bucket = gcs
    _insert(fs, bucket, "a", bytes(range(100)))
    assert fs.cat_file(f"{bucket}/a", start=10, end=20) == bytes(range(10, 20))
    assert fs.cat_file(f"{bucket}/a", start=-5) == bytes(range(95, 100))
