"""The Graph HTTP client: GET only, bearer token per request, retries in one place."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from entra_kri.snapshotter.auth import TokenProvider
from entra_kri.snapshotter.pacing import Budget, graph_budgets
from entra_kri.snapshotter.retry import RETRIABLE_STATUSES, RetryPolicy
from requests.adapters import HTTPAdapter

from entra_kri.errors import GraphError, NetworkError

log = logging.getLogger("entra_kri.http")

REQUEST_TIMEOUT = (10, 120)  # connect, read: a signIns page can take a while
POOL_SIZE = 48  # concurrent collections and two fan-outs share one session
ERROR_MESSAGE_LIMIT = 300


class GraphSession(requests.Session):
    """A requests session shared by msal and Graph.

    An explicitly named CA bundle is passed as `verify=` on every request,
    because requests lets `REQUESTS_CA_BUNDLE` from the environment override
    `Session.verify`; proxies from the environment keep working.
    """

    def __init__(self, ca_bundle: str | None = None) -> None:
        super().__init__()
        self.ca_bundle = ca_bundle
        self.headers["User-Agent"] = "entra-kri"
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
        self.mount("https://", adapter)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        if self.ca_bundle:
            kwargs["verify"] = self.ca_bundle
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        return super().request(method, url, *args, **kwargs)


@dataclass(frozen=True)
class GraphErrorBody:
    """`error.code` and `error.message` of a Graph error response (message truncated)."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def parse_error_body(response: requests.Response) -> GraphErrorBody:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    if not isinstance(error, dict):
        error = {}
    message = str(error.get("message") or response.reason or "")
    return GraphErrorBody(str(error.get("code") or "unknown"), message[:ERROR_MESSAGE_LIMIT])


@dataclass
class RequestStats:
    """What the run cost: requests sent, retries, 429s, and seconds spent waiting
    (on Retry-After and backoff, and on pacing within Graph's budgets)."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    waited_seconds: float = 0.0
    paced_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **amounts: float) -> None:
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)


class GraphClient:
    """GETs Graph URLs. Nothing else: this tool never writes to a directory."""

    def __init__(self, session: requests.Session, tokens: TokenProvider,
                 retry: RetryPolicy | None = None,
                 budgets: dict[str, Budget] | None = None) -> None:
        self.session = session
        self.tokens = tokens
        self.retry = retry or RetryPolicy()
        self.budgets = graph_budgets() if budgets is None else budgets
        self.stats = RequestStats()

    def get_json(self, url: str) -> dict[str, Any]:
        """The JSON body of a successful GET, after retries; `GraphError` otherwise."""
        response = self._get_with_retries(url)
        if response.ok:
            try:
                return response.json()
            except ValueError as exc:
                raise GraphError(
                    f"Graph sent a response that is not JSON for {_path(url)}.",
                    "Check that --graph-url points at Microsoft Graph.",
                    status=response.status_code,
                ) from exc
        body = parse_error_body(response)
        raise GraphError(
            f"Graph answered {response.status_code} {body.code} for {_path(url)}: {body.message}",
            status=response.status_code,
            code=body.code,
            detail=body.message,
        )

    def _get_with_retries(self, url: str) -> requests.Response:
        waited, attempt = 0.0, 0
        budget = next((b for prefix, b in self.budgets.items() if prefix in urlsplit(url).path),
                      None)
        while True:
            attempt += 1
            try:
                response = self._send(url, budget)
            except (requests.ConnectionError, requests.Timeout) as exc:
                response, reason, retry_after = None, type(exc).__name__, None
            else:
                if response.status_code not in RETRIABLE_STATUSES:
                    return response
                reason = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After")
                if response.status_code == 429:
                    self.stats.add(throttled=1)
            delay = self.retry.delay(attempt, retry_after)
            if attempt == self.retry.max_attempts or waited + delay > self.retry.max_total_wait:
                if response is not None:
                    return response  # the caller reports Graph's own error
                raise NetworkError(
                    f"Could not reach Graph for {_path(url)} ({reason}) after {attempt} "
                    "attempts.",
                    "Check the network, proxy variables and --ca-bundle, then run again.",
                )
            log.warning("%s on GET %s; retry %d in %.1f s", reason, _path(url), attempt, delay)
            self.stats.add(retries=1, waited_seconds=delay)
            waited += delay
            self.retry.sleep(delay)

    def _send(self, url: str, budget: Budget | None) -> requests.Response:
        """One GET with a fresh token, inside the URL's budget when it has one."""
        headers = {"Authorization": f"Bearer {self.tokens.token()}"}
        if budget is None:
            self.stats.add(requests=1)
            return self.session.get(url, headers=headers)
        slot, paced = budget.acquire()
        self.stats.add(requests=1, paced_seconds=paced)
        try:
            return self.session.get(url, headers=headers)
        finally:
            budget.settle(slot)


def _path(url: str) -> str:
    """A URL without scheme and host, for messages and logs."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
