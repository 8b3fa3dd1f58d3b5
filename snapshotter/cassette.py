"""Record a capture into a scrubbed vcrpy cassette, or replay one with no network.

A cassette also keeps the run's metadata (vcrpy's `get_metadata`): the capture
time, tenant, client and endpoints. Replaying therefore asks Graph the very
same questions, and the snapshot's "now" is the recorded one, so replaying
twice gives byte-identical collection files and the same KRIs.

vcrpy (with PyYAML and wrapt) is imported where a cassette is opened: it costs
about a tenth of the command line's start-up, and only --record and --replay use it.

A cassette holds the tenant's traffic only (`CassetteTraffic`): the requests to
its Graph and login hosts. Writing the snapshot to an object store goes to the
network as usual, neither recorded nor replayed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from entra_kri.errors import ConfigurationError, SnapshotError

if TYPE_CHECKING:
    import vcr

REDACTED = "REDACTED"
_SECRET_FIELDS = re.compile(rb"(client_secret|client_assertion)=[^&]*")
_DROPPED_HEADERS = ("authorization", "cookie", "set-cookie")


RUN_KEYS = ("tenant_id", "client_id", "cloud", "graph_url", "login_url", "signin_window_hours")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def record_run(tape: Any, captured_at: datetime, run: Mapping[str, Any]) -> None:
    """Store the run's capture time and `run`'s RUN_KEYS (tenant, client, endpoints, window)
    in the cassette being recorded."""
    tape.get_metadata("captured_at", captured_at.strftime(TIME_FORMAT))
    for key in RUN_KEYS:
        tape.get_metadata(key, run[key])


def recorded_run(tape: Any) -> dict[str, Any]:
    """The capture time (a datetime) and settings stored in a replayed cassette."""
    run = {key: tape.get_metadata(key, None) for key in ("captured_at", *RUN_KEYS)}
    run["captured_at"] = datetime.strptime(run["captured_at"], TIME_FORMAT).replace(tzinfo=UTC)
    return run


def scrub_request(request: Any) -> Any:
    """Empty the client secret or assertion of a token request body (idempotent)."""
    if isinstance(request.body, bytes | str) and request.body:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        request.body = _SECRET_FIELDS.sub(lambda m: m.group(1) + b"=", body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Replace issued tokens and drop cookies before a response is written to disk."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _DROPPED_HEADERS:
            del headers[name]
    body = response.get("body", {}).get("string", b"")
    if isinstance(body, bytes) and (b'"access_token"' in body or b'"refresh_token"' in body):
        token = json.loads(body)
        for key in ("access_token", "refresh_token", "id_token"):
            if key in token:
                token[key] = REDACTED
        scrubbed = json.dumps(token).encode()
        response["body"]["string"] = scrubbed
        for name in list(headers):
            if name.lower() == "content-length":
                headers[name] = [str(len(scrubbed))]
    return response


class CassetteTraffic:
    """The hosts (and ports) whose requests a cassette records and replays: the tenant's
    Graph and login endpoints. While none is named, every request is the cassette's."""

    def __init__(self) -> None:
        self._hosts: set[tuple[str | None, int]] = set()

    def add(self, *urls: str) -> None:
        for url in urls:
            parts = urlsplit(url)
            self._hosts.add((parts.hostname, parts.port or _DEFAULT_PORTS[parts.scheme]))

    def add_recorded(self, tape: Any) -> None:
        """The hosts of every request `tape` recorded."""
        self._hosts.update((request.host, request.port) for request in tape.requests)

    def filter(self, request: Any) -> Any:
        """vcrpy's request filter: the scrubbed request, or None to let it through."""
        if self._hosts and (request.host, request.port) not in self._hosts:
            return None
        return scrub_request(request)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _recorder(mode: str, traffic: CassetteTraffic) -> vcr.VCR:
    import vcr  # only --record and --replay need vcrpy (see the module's docstring)

    return vcr.VCR(
        record_mode=mode,
        match_on=("method", "scheme", "host", "port", "path", "query"),
        filter_headers=_DROPPED_HEADERS,
        before_record_request=traffic.filter,
        before_record_response=scrub_response,
        decode_compressed_response=True,
        record_on_exception=True,
    )


@contextmanager
def recording(path: Path, traffic: CassetteTraffic | None = None) -> Iterator[Any]:
    """Record the block's HTTP exchanges with the hosts of `traffic` (every one while it
    names none) into a new cassette at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with _recorder("all", traffic or CassetteTraffic()).use_cassette(str(path)) as cassette:
        yield cassette


@contextmanager
def replaying(path: Path) -> Iterator[Any]:
    """Serve the block's HTTP to the hosts the cassette at `path` recorded from it; any
    other request to those hosts fails."""
    if not path.is_file():
        raise ConfigurationError(f"No cassette at {path}.", "Give the path of a recorded cassette.")
    from vcr.errors import (  # only --replay needs vcrpy (see the module's docstring)
        CannotOverwriteExistingCassetteException,
        MissingMetadataError,
    )

    traffic = CassetteTraffic()
    try:
        with _recorder("none", traffic).use_cassette(str(path),
                                                     allow_playback_repeats=False) as cassette:
            traffic.add_recorded(cassette)
            yield cassette
    except MissingMetadataError as exc:
        raise SnapshotError(
            f"The cassette {path} does not say when and how it was recorded.",
            "Replay a cassette recorded with `entra-kri snapshot --record`.",
        ) from exc
    except CannotOverwriteExistingCassetteException as exc:
        raise SnapshotError(
            f"The capture asked for something the cassette {path} did not record "
            f"({str(exc).splitlines()[0]}).",
            "Replay a cassette recorded by this version of entra-kri, or record it again.",
        ) from exc


@contextmanager
def no_cassette() -> Iterator[None]:
    """Neither recording nor replaying: the network as it is."""
    yield None
