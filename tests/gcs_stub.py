"""A stand-in for Google Cloud Storage's upload endpoint, for the one thing tests check on GCS.

No GCS emulator installs from the registries CI reaches, so gs:// roots are not
run end to end (docs/object-storage.md, "What is tested on which store"). What
this stub lets a test check is the commit rule: a create-only write reaches the
JSON API as an upload carrying `ifGenerationMatch=0`, and GCS's answer when the
object is already there (412 Precondition Failed) reaches entra-kri as "already
exists". It keeps uploaded objects in memory, answers uploads only (simple and
resumable), and records every request; gcsfs reaches it through
STORAGE_EMULATOR_HOST.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest


@dataclass
class UploadRequest:
    """One request the stub received: its method, path and query parameters."""

    method: str
    path: str
    query: dict[str, list[str]]


@dataclass
class GcsStub:
    """The stub's objects (`bucket/key` -> bytes) and the requests it received."""

    endpoint: str = ""
    objects: dict[str, bytes] = field(default_factory=dict)
    requests: list[UploadRequest] = field(default_factory=list)
    resumable: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """Resumable uploads begun and not ended: id -> (`bucket/key`, create-only?)."""


def _multipart_upload(body: bytes) -> tuple[str, bytes]:
    """The object name and data of a JSON API multipart upload (metadata part, data part)."""
    boundary = body.split(b"\n", 1)[0].strip()
    parts = body.split(boundary)
    metadata = json.loads(parts[1].split(b"\n\n", 1)[1])
    data = parts[2].split(b"\n\n", 1)[1].removesuffix(b"\n")
    return metadata["name"], data


def _handler(stub: GcsStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            """Quiet: tests read `stub.requests` instead."""

        def _answer(self, status: int, document: dict) -> None:
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _store(self, key: str, data: bytes, create_only: bool) -> None:
            """Keep `data` at `key`; 412 instead if `create_only` and something is there."""
            if create_only and key in stub.objects:
                self._answer(412, {"error": {"code": 412, "message": "Precondition Failed"}})
                return
            stub.objects[key] = data
            bucket, name = key.split("/", 1)
            self._answer(200, {"kind": "storage#object", "bucket": bucket, "name": name,
                               "size": str(len(data)), "generation": "1"})

        def _request(self) -> tuple[str, dict[str, list[str]], bytes]:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            stub.requests.append(UploadRequest(self.command, url.path, query))
            return url.path, query, self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def do_POST(self) -> None:
            path, query, body = self._request()
            prefix = "/upload/storage/v1/b/"
            if not path.startswith(prefix):
                self._answer(400, {"error": {"code": 400, "message": "not in the stub"}})
                return
            bucket = unquote(path.removeprefix(prefix).split("/", 1)[0])
            if "upload_id" in query:  # the end of a resumable upload: its data
                key, create_only = stub.resumable.pop(query["upload_id"][0])
                self._store(key, body, create_only)
                return
            create_only = query.get("ifGenerationMatch") == ["0"]
            if query.get("uploadType") == ["multipart"]:
                name, data = _multipart_upload(body)
                self._store(f"{bucket}/{name}", data, create_only)
                return
            # A resumable upload begins; GCS checks its precondition when the data comes.
            upload_id = str(len(stub.requests))
            stub.resumable[upload_id] = (f"{bucket}/{query['name'][0]}", create_only)
            self.send_response(200)
            self.send_header("Location", f"{stub.endpoint}{path}?uploadType=resumable"
                                         f"&upload_id={upload_id}")
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@pytest.fixture
def gcs_stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[GcsStub]:
    """A running stub, with STORAGE_EMULATOR_HOST pointing gcsfs at it."""
    stub = GcsStub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", stub.endpoint)
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
