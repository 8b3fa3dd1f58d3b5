"""A small Google Cloud Storage for tests: the JSON API in this process, a fresh bucket per test.

No GCS emulator installs from the registries CI reaches (docs/object-storage.md,
"Google Cloud Storage: what is and is not tested"), so this is entra-kri's own
model of what Google documents of the JSON API, not Google's server. It holds
what entra-kri relies on and what gcsfs sends for it:

- objects with a `generation` (unique, new at every write) and a
  `metageneration` (1: nothing here changes an object's metadata);
- insert: `uploadType=media`, `multipart` and `resumable` (begun with a POST,
  its data sent in chunks with `Content-Range`, 308 until the last);
- get: the object's resource, or its data with `alt=media` (at
  `/storage/v1/…` or `/download/storage/v1/…`), with `Range`;
- list: `prefix`, `delimiter`, `maxResults` (items and prefixes together)
  and `pageToken`; delete; a bucket's resource;
- preconditions on insert, get and delete: `ifGenerationMatch` (0: no live
  object), `ifMetagenerationMatch` (412 `conditionNotMet` when they do not
  hold), `ifGenerationNotMatch` and `ifMetagenerationNotMatch` (304 when the
  values match); checked and applied under one lock, so that of two
  conditional writes racing for one object exactly one holds, as GCS answers
  them. A resumable upload's precondition is checked when its last chunk
  arrives, the moment the object is written;
- errors as GCS sends them: `{"error": {"code", "message", "errors": [{
  "reason", …}]}}`, 404 `notFound` for a missing object or bucket.

Not modelled: object versioning (a write replaces the object; no `versions`),
metadata updates, compose, copy, batch requests (gcsfs sends none to an
emulator), authentication (gcsfs goes anonymous with STORAGE_EMULATOR_HOST),
and crc32c hashes (md5Hash only). `refuse(bucket, status)` makes every request
naming a bucket answer with an error, as a store refusing an identity does.

`gcs_root` yields `gs://<a new bucket>/snapshots` on a fake started once per
test session on 127.0.0.1 (a free port), with STORAGE_EMULATOR_HOST pointing
gcsfs at it, so entra-kri reaches it as it reaches a real bucket (through
gcsfs). The fake records every request (`requests`) for tests that check what
was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest

from entra_kri.snapshot.roots import open_root

ROOT_PREFIX = "snapshots"
_OBJECT = re.compile(r"\A(?:/download)?/storage/v1/b/(?P<bucket>[^/]+)/o/(?P<name>[^/]+)\Z")
_OBJECTS = re.compile(r"\A/storage/v1/b/(?P<bucket>[^/]+)/o\Z")
_BUCKET = re.compile(r"\A/storage/v1/b/(?P<bucket>[^/]+)\Z")
_UPLOAD = re.compile(r"\A/upload/storage/v1/b/(?P<bucket>[^/]+)/o\Z")
_CONTENT_RANGE = re.compile(r"\Abytes (?:(?P<first>\d+)-(?P<last>\d+)|\*)/(?P<total>\d+|\*)\Z")
_RANGE = re.compile(r"\Abytes=(?P<first>\d*)-(?P<last>\d*)\Z")


@dataclass(frozen=True)
class StoredObject:
    """One live object: its bytes and the numbers GCS gives it."""

    data: bytes
    generation: int
    metageneration: int
    updated: datetime
    content_type: str

    def resource(self, bucket: str, name: str) -> dict:
        """The object's JSON API resource (`storage#object`)."""
        moment = (self.updated.strftime("%Y-%m-%dT%H:%M:%S.")
                  + f"{self.updated.microsecond // 1000:03d}Z")
        return {"kind": "storage#object", "id": f"{bucket}/{name}/{self.generation}",
                "name": name, "bucket": bucket, "generation": str(self.generation),
                "metageneration": str(self.metageneration), "contentType": self.content_type,
                "size": str(len(self.data)), "md5Hash": self.md5,
                "etag": base64.b64encode(f"{self.generation}/{self.metageneration}".encode()
                                         ).decode(),
                "timeCreated": moment, "updated": moment}

    @property
    def md5(self) -> str:
        return base64.b64encode(hashlib.md5(self.data).digest()).decode()


@dataclass(frozen=True)
class Request:
    """One request the fake received: method, path (unquoted) and query parameters."""

    method: str
    path: str
    query: dict[str, list[str]]


@dataclass
class _Upload:
    """A resumable upload begun and not finished."""

    bucket: str
    name: str
    conditions: dict[str, list[str]]
    content_type: str
    data: bytearray = field(default_factory=bytearray)


class GcsError(Exception):
    """An error answer: its HTTP status, GCS's reason and message."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


_NOT_MET = "At least one of the pre-conditions you specified did not hold."


class FakeGcs:
    """The fake's buckets (`bucket` -> object name -> `StoredObject`) and what it was sent."""

    def __init__(self) -> None:
        self.endpoint = ""
        self.buckets: dict[str, dict[str, StoredObject]] = {}
        self.requests: list[Request] = []
        self.refusals: dict[str, int] = {}
        self.uploads: dict[str, _Upload] = {}
        self.lock = threading.Lock()  # every check-and-write happens under it
        self._last_generation = 0

    def create_bucket(self, name: str) -> None:
        with self.lock:
            self.buckets.setdefault(name, {})

    def refuse(self, bucket: str, status: int) -> None:
        """Answer every request naming `bucket` with `status` (403: not allowed)."""
        self.refusals[bucket] = status

    def objects(self, bucket: str) -> dict[str, bytes]:
        """The bytes of each live object of `bucket`, by name."""
        with self.lock:
            return {name: stored.data for name, stored in self._bucket(bucket).items()}

    def requests_for(self, bucket: str) -> list[Request]:
        """The requests that named `bucket`, in order."""
        return [r for r in self.requests if f"/b/{bucket}/" in r.path + "/"]

    # -- the operations, each atomic ------------------------------------------------------

    def insert(self, bucket: str, name: str, data: bytes, content_type: str,
               conditions: dict[str, list[str]]) -> StoredObject:
        with self.lock:
            objects = self._bucket(bucket)
            _check(objects.get(name), conditions, missing_is_404=False)
            stored = StoredObject(bytes(data), self._new_generation(), 1, datetime.now(UTC),
                                  content_type)
            objects[name] = stored
            return stored

    def get(self, bucket: str, name: str, conditions: dict[str, list[str]]) -> StoredObject:
        with self.lock:
            stored = self._bucket(bucket).get(name)
            _check(stored, conditions, missing_is_404=True)
            assert stored is not None
            return stored

    def delete(self, bucket: str, name: str, conditions: dict[str, list[str]]) -> None:
        with self.lock:
            objects = self._bucket(bucket)
            _check(objects.get(name), conditions, missing_is_404=True)
            del objects[name]

    def list(self, bucket: str, query: dict[str, list[str]]) -> dict:
        prefix = _one(query, "prefix") or ""
        delimiter = _one(query, "delimiter") or ""
        with self.lock:
            names = sorted(n for n in self._bucket(bucket) if n.startswith(prefix))
            objects = dict(self._bucket(bucket))
        entries: dict[str, str] = {}  # name or prefix -> "item" / "prefix", in name order
        for name in names:
            cut = name.find(delimiter, len(prefix)) if delimiter else -1
            entries.setdefault(name if cut < 0 else name[:cut + len(delimiter)],
                               "item" if cut < 0 else "prefix")
        after = _one(query, "pageToken")
        ordered = [e for e in entries if after is None or e > _untoken(after)]
        page_size = min(int(_one(query, "maxResults") or 1000), 1000)
        page, rest = ordered[:page_size], ordered[page_size:]
        answer: dict = {"kind": "storage#objects"}
        items = [objects[e].resource(bucket, e) for e in page if entries[e] == "item"]
        prefixes = [e for e in page if entries[e] == "prefix"]
        if items:
            answer["items"] = items
        if prefixes:
            answer["prefixes"] = prefixes
        if rest:
            answer["nextPageToken"] = base64.urlsafe_b64encode(page[-1].encode()).decode()
        return answer

    def bucket_resource(self, bucket: str) -> dict:
        with self.lock:
            self._bucket(bucket)
        return {"kind": "storage#bucket", "id": bucket, "name": bucket, "metageneration": "1",
                "location": "US", "storageClass": "STANDARD"}

    def _bucket(self, bucket: str) -> dict[str, StoredObject]:
        if bucket not in self.buckets:
            raise GcsError(404, "notFound", "The specified bucket does not exist.")
        return self.buckets[bucket]

    def _new_generation(self) -> int:
        """Microseconds since the epoch, as GCS's look, and never given twice."""
        self._last_generation = max(self._last_generation + 1, time.time_ns() // 1000)
        return self._last_generation


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _untoken(token: str) -> str:
    return base64.urlsafe_b64decode(token.encode()).decode()


def _check(stored: StoredObject | None, conditions: dict[str, list[str]], *,
           missing_is_404: bool) -> None:
    """GcsError unless `conditions` hold for the live object `stored` (None: no object).

    A get or a delete of no object is 404 whatever its conditions; an insert is
    checked against what is there, so `ifGenerationMatch=0` holds only when nothing is.
    """
    if stored is None and missing_is_404:
        raise GcsError(404, "notFound", "No such object.")
    generation = _one(conditions, "ifGenerationMatch")
    if generation is not None and (stored.generation if stored else 0) != int(generation):
        raise GcsError(412, "conditionNotMet", _NOT_MET)
    metageneration = _one(conditions, "ifMetagenerationMatch")
    if metageneration is not None and (stored is None
                                       or stored.metageneration != int(metageneration)):
        raise GcsError(412, "conditionNotMet", _NOT_MET)
    generation = _one(conditions, "ifGenerationNotMatch")
    if generation is not None:
        if stored is None:
            raise GcsError(412, "conditionNotMet", _NOT_MET)
        if stored.generation == int(generation):
            raise GcsError(304, "notModified", "")
    metageneration = _one(conditions, "ifMetagenerationNotMatch")
    if metageneration is not None and stored is not None and (
            stored.metageneration == int(metageneration)):
        raise GcsError(304, "notModified", "")


def _multipart(body: bytes, content_type: str) -> tuple[dict, bytes]:
    """The metadata and data of a `multipart/related` upload (a JSON part, a data part)."""
    boundary = re.search(r'boundary="?([^";]+)"?', content_type)
    if boundary is None:
        raise GcsError(400, "invalid", "A multipart upload needs a boundary.")
    marker = b"--" + boundary.group(1).encode()
    end = body.rindex(marker + b"--")
    parts = body[:end].split(marker)[1:]
    if len(parts) != 2:
        raise GcsError(400, "invalid", "A multipart upload has two parts.")
    metadata, data = (re.split(rb"\r?\n\r?\n", part, maxsplit=1)[1] for part in parts)
    return json.loads(metadata), re.sub(rb"\r?\n\Z", b"", data)


def _handler(fake: FakeGcs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            """Quiet: tests read `fake.requests` instead."""

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def _serve(self) -> None:
            url = urlsplit(self.path)
            path, query = unquote(url.path), parse_qs(url.query)
            fake.requests.append(Request(self.command, path, query))
            body = self._body()
            try:
                bucket = next((m["bucket"] for pattern in (_OBJECT, _OBJECTS, _BUCKET, _UPLOAD)
                               if (m := pattern.match(url.path))), None)
                if bucket is not None and unquote(bucket) in fake.refusals:
                    status = fake.refusals[unquote(bucket)]
                    raise GcsError(status, "forbidden", "The caller does not have "
                                   "storage.objects access to the Google Cloud Storage bucket.")
                self._route(url.path, query, body)
            except GcsError as error:
                self._error(error)

        def _route(self, raw_path: str, query: dict[str, list[str]], body: bytes) -> None:
            if (found := _UPLOAD.match(raw_path)) and "upload_id" in query:
                self._upload_chunk(_one(query, "upload_id") or "", body)
            elif found and self.command == "POST":
                self._insert(unquote(found["bucket"]), query, body)
            elif (found := _OBJECT.match(raw_path)) and self.command in ("GET", "DELETE"):
                bucket, name = unquote(found["bucket"]), unquote(found["name"])
                if self.command == "DELETE":
                    fake.delete(bucket, name, query)
                    self._send(204, b"")
                elif _one(query, "alt") == "media":
                    self._media(bucket, name, fake.get(bucket, name, query))
                else:
                    self._json(200, fake.get(bucket, name, query).resource(bucket, name))
            elif (found := _OBJECTS.match(raw_path)) and self.command == "GET":
                self._json(200, fake.list(unquote(found["bucket"]), query))
            elif (found := _BUCKET.match(raw_path)) and self.command == "GET":
                self._json(200, fake.bucket_resource(unquote(found["bucket"])))
            else:
                raise GcsError(400, "invalid", "This request is not in the fake.")

        def _insert(self, bucket: str, query: dict[str, list[str]], body: bytes) -> None:
            kind = _one(query, "uploadType")
            content_type = self.headers.get("Content-Type", "application/octet-stream")
            if kind == "multipart":
                metadata, data = _multipart(body, content_type)
                name = metadata.get("name") or _one(query, "name")
                content_type = metadata.get("contentType", "application/octet-stream")
            elif kind == "media":
                name, data = _one(query, "name"), body
            elif kind == "resumable":
                name = (json.loads(body) if body else {}).get("name") or _one(query, "name")
                if not name:
                    raise GcsError(400, "required", "Required parameter: name")
                upload_id = uuid.uuid4().hex
                fake.uploads[upload_id] = _Upload(
                    bucket, name, query,
                    self.headers.get("X-Upload-Content-Type", "application/octet-stream"))
                # The session URI: the request's own, with its upload_id.
                location = f"{fake.endpoint}{self.path}&{urlencode({'upload_id': upload_id})}"
                self._send(200, b"", {"Location": location})
                return
            else:
                raise GcsError(400, "invalid", "uploadType must be media, multipart or "
                                               "resumable.")
            if not name:
                raise GcsError(400, "required", "Required parameter: name")
            stored = fake.insert(bucket, name, data, content_type, query)
            self._json(200, stored.resource(bucket, name))

        def _upload_chunk(self, upload_id: str, body: bytes) -> None:
            upload = fake.uploads.get(upload_id)
            if upload is None:
                raise GcsError(404, "notFound", "No such upload session.")
            if self.command == "DELETE":  # cancelled: GCS answers 499
                del fake.uploads[upload_id]
                self._send(499, b"")
                return
            sent = _CONTENT_RANGE.match(self.headers.get("Content-Range", "bytes */*"))
            if sent is None:
                raise GcsError(400, "invalid", "Content-Range is malformed.")
            if sent["first"] is not None and int(sent["first"]) != len(upload.data):
                raise GcsError(400, "invalid", "The chunk does not start where the data ends.")
            upload.data += body
            if sent["total"] == "*" or int(sent["total"]) != len(upload.data):
                headers = {"Range": f"bytes=0-{len(upload.data) - 1}"} if upload.data else {}
                self._send(308, b"", headers)
                return
            del fake.uploads[upload_id]
            stored = fake.insert(upload.bucket, upload.name, bytes(upload.data),
                                 upload.content_type, upload.conditions)
            self._json(200, stored.resource(upload.bucket, upload.name))

        def _media(self, bucket: str, name: str, stored: StoredObject) -> None:
            data, status, headers = stored.data, 200, {
                "Content-Type": stored.content_type,
                "X-Goog-Generation": str(stored.generation),
                "X-Goog-Metageneration": str(stored.metageneration),
                "X-Goog-Hash": f"md5={stored.md5}",
                "X-Goog-Stored-Content-Length": str(len(stored.data))}
            asked = _RANGE.match(self.headers.get("Range", ""))
            if asked is not None:
                size = len(stored.data)
                if asked["first"]:
                    first = int(asked["first"])
                    last = min(int(asked["last"]), size - 1) if asked["last"] else size - 1
                else:  # the last N bytes
                    first, last = max(size - int(asked["last"] or 0), 0), size - 1
                if first >= size or first > last:
                    raise GcsError(416, "requestedRangeNotSatisfiable",
                                   "The requested range cannot be satisfied.")
                data, status = data[first:last + 1], 206
                headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            self._send(status, data, headers)

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _error(self, error: GcsError) -> None:
            if error.status == 304:
                self._send(304, b"")
                return
            self._json(error.status, {"error": {
                "code": error.status, "message": error.message,
                "errors": [{"domain": "global", "reason": error.reason,
                            "message": error.message}]}})

        def _json(self, status: int, document: dict) -> None:
            self._send(status, json.dumps(document).encode(),
                       {"Content-Type": "application/json; charset=UTF-8"})

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            try:
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # gcsfs asks for a path as object and prefix at once, and drops one

    return Handler


@pytest.fixture(scope="session")
def gcs_fake() -> Iterator[FakeGcs]:
    """The fake, serving on 127.0.0.1 (a free port) for the whole session."""
    fake = FakeGcs()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def gcs_root(gcs_fake: FakeGcs, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """`gs://<a new bucket>/snapshots` on the session's fake (the user's cache directory is
    `tmp_path`/xdg-cache)."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_fake.endpoint)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    bucket = f"test-{uuid.uuid4().hex[:20]}"
    gcs_fake.create_bucket(bucket)
    return open_root(f"gs://{bucket}/{ROOT_PREFIX}").text


def bucket_of(root_text: str) -> str:
    """The bucket of a `gs://BUCKET/...` URL."""
    return root_text.removeprefix("gs://").split("/", 1)[0]

