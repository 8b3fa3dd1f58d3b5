"""`FakeGraph`: the fake login host and Graph, served over real HTTPS on 127.0.0.1."""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import errors
from .certs import cert_files
from .exchange import Incoming, Outgoing
from .graph_api import GraphApi
from .injection import Fault, FaultPlan
from .login import LoginHost
from .rate_limits import RateLimits
from .routing import route_hosts_to
from .tenant import FakeTenant
from .tokens import TokenRegistry
from .traffic import TrafficLog

_REQUEST_ID_NAMESPACE = uuid.UUID("9d3f6a52-5d1e-4c53-9f4e-6b1f3e0c2a77")
_GRAPH_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)
_DIAGNOSTIC = (
    '{"ServerInfo":{"DataCenter":"North Europe","Slice":"E","Ring":"4","ScaleUnit":"001",'
    '"RoleInstance":"FAKE-GRAPH"}}'
)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received. The Authorization header is never kept."""

    method: str
    host: str
    path: str
    query: dict[str, str]
    body: bytes


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True
    # A client opening many connections at once (the capture fans out 16 requests) must
    # not meet the default listen backlog of 5: dropped SYNs are retried after 1 s.
    request_queue_size = 128
    fake: FakeGraph
    tls: ssl.SSLContext

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        # The handshake runs in the handler's thread (see _Handler.setup), not here.
        tls_sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return tls_sock, address


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    timeout = 30
    # Headers and body go out in two writes; with Nagle's algorithm on, the body's last
    # segment waits for the client's delayed ACK (40 ms on Linux) of the headers, a delay
    # Graph does not have. TCP_NODELAY sends each write at once.
    disable_nagle_algorithm = True
    server: _TlsServer

    def setup(self) -> None:
        super().setup()
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True
            raise

    def handle(self) -> None:
        with contextlib.suppress(ssl.SSLError, ConnectionError, TimeoutError):
            super().handle()

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        return format_datetime(self.server.fake.tenant.now, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def _serve(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        out = self.server.fake.answer(self.command, self.path, headers, body)
        payload = out.encoded()
        raw_size = len(payload)
        if "gzip" in headers.get("accept-encoding", "") and payload:
            payload = gzip.compress(payload, compresslevel=6, mtime=0)
            out.headers["Content-Encoding"] = "gzip"
        self.server.fake.wait_for_latency(started)
        self.send_response(out.status)
        for key, value in out.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        traffic = self.server.fake.traffic
        if traffic is not None:
            traffic.record(self.command, self.path, out.status, raw_size, len(payload), started)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class FakeGraph:
    """A local fake of Microsoft Graph v1.0 and the Entra token endpoint for one tenant.

    Use as a context manager; `graph_url`, `login_url` and `ca_bundle` are what a
    client needs. Faults are injected with `throttle`, `fail` and `refuse`. For the
    benchmark, `rate_limits` enforces Graph's request budgets (rate_limits.py) and
    `traffic` records every exchange with its timing and size (traffic.py); both are off
    by default.
    """

    def __init__(
        self,
        tenant: FakeTenant,
        latency: float = 0.0,
        reject_errorcode_ne: bool = False,
        *,
        rate_limits: RateLimits | None = None,
        traffic: TrafficLog | None = None,
    ) -> None:
        self.tenant = tenant
        self.latency = latency
        self.rate_limits = rate_limits
        self.traffic = traffic
        self.token_lifetime = 3600
        self.requests: list[RecordedRequest] = []
        self._faults = FaultPlan()
        self._tokens = TokenRegistry()
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._login = LoginHost(tenant, self._tokens, lambda: self.token_lifetime)
        self._graph = GraphApi(
            tenant,
            self._tokens,
            reject_errorcode_ne=reject_errorcode_ne,
            refusal_for=self._refusal_for,
            now=time.time,
        )
        self._server: _TlsServer | None = None
        self._port: int | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeGraph:
        files = cert_files()
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(files.server_cert, files.server_key)
        server = _TlsServer(("127.0.0.1", 0), _Handler)
        server.fake = self
        server.tls = tls
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="fake-graph", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def port(self) -> int:
        """The port it listens (or last listened) on."""
        if self._port is None:
            raise RuntimeError("FakeGraph has not been started; use it as a context manager")
        return self._port

    @property
    def login_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def graph_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/v1.0"

    @property
    def ca_bundle(self) -> str:
        return str(cert_files().ca_bundle)

    def route_real_hosts(self) -> contextlib.AbstractContextManager[None]:
        """Route urllib3 connections for graph.microsoft.com and login.microsoftonline.com here."""
        return route_hosts_to(self.port)

    # -- fault injection ---------------------------------------------------------------------

    def throttle(self, path_prefix: str, count: int, retry_after: str | None = "1") -> None:
        """The next `count` matching requests get 429 TooManyRequests."""
        self._faults.add(path_prefix, Fault(429, *errors.TOO_MANY_REQUESTS, retry_after), count)

    def fail(
        self, path_prefix: str, status: int = 503, count: int = 1, retry_after: str | None = None
    ) -> None:
        """The next `count` matching requests get `status` (5xx) with Graph's error body."""
        code, message = errors.SERVICE_UNAVAILABLE if status == 503 else errors.UNKNOWN_ERROR
        self._faults.add(path_prefix, Fault(status, code, message, retry_after), count)

    def refuse(self, path_prefix: str, status: int, code: str) -> None:
        """Every matching Graph request (after authentication) gets `status` and `code`."""
        self._faults.add(path_prefix, Fault(status, code, errors.DENIED[1]), None)

    def _refusal_for(self, path: str) -> tuple[int, str] | None:
        fault = self._faults.permanent(path)
        return None if fault is None else (fault.status, fault.code)

    # -- answering ---------------------------------------------------------------------------

    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Outgoing:
        """Answer one request (called from the handler threads)."""
        split = urlsplit(target)
        pairs = tuple(parse_qsl(split.query, keep_blank_values=True))
        host = headers.get("host", f"127.0.0.1:{self.port}")
        with self._lock:
            self.requests.append(RecordedRequest(method, host, split.path, dict(pairs), body))
            self._seen[f"{method} {target}"] += 1
            nth = self._seen[f"{method} {target}"]
        request_id = str(uuid.uuid5(_REQUEST_ID_NAMESPACE, f"{nth}|{method} {target}"))
        req = Incoming(
            method=method,
            host=host,
            path=split.path,
            query_pairs=pairs,
            headers=headers,
            body=body,
            request_id=request_id,
            date=self.tenant.now.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        limited = None if self.rate_limits is None else self.rate_limits.admit(split.path, pairs)
        is_graph = split.path.lower().startswith(("/v1.0/", "/beta/"))
        fault = limited if limited is not None else self._faults.take_transient(split.path)
        if fault is not None:
            out = self._fault_answer(req, fault, is_graph)
        elif is_graph:
            out = self._graph.handle(req)
        else:
            out = self._login.handle(req)
        return self._with_headers(req, out, is_graph)

    def wait_for_latency(self, started: float) -> None:
        """Answer `latency` seconds after the request arrived, the fake's own work included
        (as Graph's latency includes Graph's work); work that takes longer answers late."""
        remaining = self.latency - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)

    def _fault_answer(self, req: Incoming, fault: Fault, is_graph: bool) -> Outgoing:
        if is_graph:
            out = self._graph.error(req, fault.status, fault.code, fault.message)
        else:
            out = Outgoing(
                fault.status,
                errors.token_error(
                    "temporarily_unavailable",
                    90033,
                    "A transient error has occurred. Please try again.",
                    login_host=req.host,
                    timestamp=self.tenant.now.strftime("%Y-%m-%d %H:%M:%SZ"),
                    trace_id=req.request_id,
                    correlation_id=req.client_request_id,
                ),
            )
        if fault.retry_after is not None:
            out.headers["Retry-After"] = fault.retry_after
        return out

    @staticmethod
    def _with_headers(req: Incoming, out: Outgoing, is_graph: bool) -> Outgoing:
        base: dict[str, str]
        if is_graph:
            base = {
                "Content-Type": _GRAPH_CONTENT_TYPE,
                "Cache-Control": "no-cache",
                "Vary": "Accept-Encoding",
                "Strict-Transport-Security": "max-age=31536000",
                "request-id": req.request_id,
                "client-request-id": req.client_request_id,
                "x-ms-ags-diagnostic": _DIAGNOSTIC,
                "x-ms-resource-unit": "1",
            }
        else:
            base = {
                "Content-Type": "application/json; charset=utf-8",
                "Cache-Control": "no-store, no-cache",
                "Pragma": "no-cache",
                "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
                "X-Content-Type-Options": "nosniff",
                "x-ms-request-id": req.request_id,
            }
        out.headers = {**base, **out.headers}
        return out
