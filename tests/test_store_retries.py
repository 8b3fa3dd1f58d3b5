"""An endpoint that does not answer fails in seconds, in one paragraph naming the URL, the
cause and the fix; a store's passing refusal is still retried a few times
(docs/object-storage.md, "When a store does not answer").

The bounds are generous for a loaded 2-core CI machine; the times measured here are in
the docs. Each test points the store's standard variables at a port on 127.0.0.1 and
runs the command as a user would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from entra_kri.snapshot.store_retries import AZURE_CLIENT_OPTIONS
from fake_graph import allow_loopback
from tests.azurite import use_azurite
from tests.conftest import DEMO_CASSETTE
from tests.object_store import use_moto

pytestmark = allow_loopback

UNREACHABLE_BOUND_SECONDS = 30  # measured: 1 to 13 s
SILENT_BOUND_SECONDS = 60  # measured: 24 to 28 s (two connection attempts of 10 s)
BUSY_BOUND_SECONDS = 45  # per request retried; measured: 23 s (the SDK's defaults: 87 s)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 whose connections are never accepted: its queue is full, so the
    kernel drops each new connection's first packet, as a firewall that drops does."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        time.sleep(0.2)
        try:
            yield port
        finally:
            for filler in fillers:
                filler.close()


def timed(arguments: list[str]) -> tuple[Result, float]:
    """`entra-kri ARGUMENTS` run as a scheduler runs it, in a process of its own (where a
    library's log line would reach stderr), and how long it took."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "entra_kri.cli", *arguments],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "ENTRA_KRI_CLIENT_SECRET": ""})
    return Result(done.returncode, done.stdout + done.stderr), time.monotonic() - started


@dataclass(frozen=True)
class Result:
    exit_code: int
    output: str


def point_at(store: str, port: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point `store`'s standard variables at 127.0.0.1:`port`; the root URL to give."""
    endpoint = f"http://127.0.0.1:{port}"
    if store == "az":
        use_azurite(monkeypatch, f"{endpoint}/devstoreaccount1")
        return "az://snapshots/root"
    if store == "gs":
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", endpoint)
        return "gs://snapshots/root"
    use_moto(monkeypatch, endpoint, tmp_path)
    return "s3://snapshots/root"


@pytest.mark.parametrize("store", ["az", "s3", "gs"])
def test_reading_a_root_at_a_closed_port_fails_within_seconds(store, monkeypatch, tmp_path):
    root = point_at(store, closed_port(), monkeypatch, tmp_path)
    result, elapsed = timed(["kri", root])
    assert result.exit_code == 1, result.output
    assert elapsed < UNREACHABLE_BOUND_SECONDS, f"{elapsed:.1f} s"
    assert f"{root}: the store could not be reached" in result.output
    assert "Check the network, and the endpoint" in result.output
    assert "Traceback" not in result.output and result.output.count("\n") == 1


def test_capturing_to_a_closed_azure_port_fails_within_seconds_naming_the_root(
        monkeypatch, tmp_path):
    root = point_at("az", closed_port(), monkeypatch, tmp_path)
    result, elapsed = timed(["snapshot", "--replay", str(DEMO_CASSETTE), "--out", root])
    assert result.exit_code == 1, result.output
    assert elapsed < UNREACHABLE_BOUND_SECONDS, f"{elapsed:.1f} s"
    assert f"{root}: The Azure Blob endpoint could not be reached" in result.output
    assert "after 2 attempts to connect" in result.output
    assert "Check the endpoint in AZURE_STORAGE_CONNECTION_STRING" in result.output
    assert "Traceback" not in result.output and "AccountKey" not in result.output


@pytest.mark.parametrize("store", ["az", "gs"])
def test_an_endpoint_that_drops_connections_fails_within_a_minute(store, monkeypatch,
                                                                  tmp_path):
    """The libraries' defaults took 164 s here (Azure: connection attempts of 20 s, and
    long waits) and more than 14 minutes (gcsfs: no connect timeout at all)."""
    with silent_port() as port:
        root = point_at(store, port, monkeypatch, tmp_path)
        result, elapsed = timed(["kri", root])
    assert result.exit_code == 1, result.output
    assert elapsed < SILENT_BOUND_SECONDS, f"{elapsed:.1f} s"
    assert f"{root}: the store could not be reached" in result.output


class BusyAzure(BaseHTTPRequestHandler):
    """Answers every request as an Azure account that is too busy, counting them."""

    seen: Counter

    def answer(self) -> None:
        self.seen[(self.command, self.path.partition("?")[0])] += 1
        self.send_response(503)
        self.send_header("x-ms-error-code", "ServerBusy")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_PUT = answer

    def log_message(self, *args: object) -> None:
        pass


def test_an_azure_503_is_retried_three_times_then_named(monkeypatch, tmp_path):
    seen: Counter = Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Busy", (BusyAzure,), {"seen": seen}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        root = point_at("az", server.server_address[1], monkeypatch, tmp_path)
        result, elapsed = timed(["kri", root])
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1, result.output
    assert seen and set(seen.values()) == {1 + AZURE_CLIENT_OPTIONS["retry_total"]}, seen
    assert elapsed < BUSY_BOUND_SECONDS * len(seen), f"{elapsed:.1f} s"
    assert f"{root}: the store answered with an error" in result.output
