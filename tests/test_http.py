"""The Graph client (snapshotter/http.py): GET only, retries in one place, errors parsed."""

from __future__ import annotations

import pytest
import requests
from entra_kri.snapshotter.http import GraphClient, GraphSession

from entra_kri.errors import GraphError, NetworkError
from tests.conftest import RecordedSleeps, fast_retry


class StaticTokens:
    def token(self) -> str:
        return "token"


class FlakySession:
    """Raises a connection error `failures` times, then answers 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def get(self, url: str, headers: dict) -> requests.Response:
        self.calls += 1
        if self.calls <= self.failures:
            raise requests.ConnectionError("connection reset")
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"value": []}'
        return response


def test_connection_errors_are_retried_with_backoff():
    sleeps = RecordedSleeps()
    session = FlakySession(failures=2)
    client = GraphClient(session, StaticTokens(), fast_retry(sleeps))
    assert client.get_json("https://graph.example/v1.0/users") == {"value": []}
    assert sleeps == [1.0, 2.0] and client.stats.retries == 2


def test_connection_errors_give_up_with_a_network_error():
    session = FlakySession(failures=10)
    client = GraphClient(session, StaticTokens(), fast_retry(RecordedSleeps(), max_attempts=3))
    with pytest.raises(NetworkError, match="after 3 attempts"):
        client.get_json("https://graph.example/v1.0/users")
    assert session.calls == 3


def test_a_graph_error_carries_status_code_and_truncated_message():
    class Refusing(FlakySession):
        def get(self, url, headers):
            response = requests.Response()
            response.status_code = 403
            response._content = (b'{"error":{"code":"Authorization_RequestDenied","message":"'
                                 + b"x" * 1000 + b'"}}')
            return response

    client = GraphClient(Refusing(0), StaticTokens(), fast_retry(RecordedSleeps()))
    with pytest.raises(GraphError) as raised:
        client.get_json("https://graph.example/v1.0/users")
    assert (raised.value.status, raised.value.code) == (403, "Authorization_RequestDenied")
    assert len(raised.value.detail) == 300


def test_the_client_has_no_way_to_write():
    assert not any(hasattr(GraphClient, verb) for verb in ("post", "put", "patch", "delete"))


def test_an_explicit_ca_bundle_beats_the_environment(monkeypatch, tmp_path):
    """docs/graph-behaviour.md: REQUESTS_CA_BUNDLE beats Session.verify, not verify=."""
    seen = {}

    def fake_send(self, request, **kwargs):
        seen["verify"] = kwargs.get("verify")
        response = requests.Response()
        response.status_code = 200
        return response

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setattr(requests.Session, "send", fake_send)
    GraphSession(str(tmp_path / "corp.pem")).get("https://graph.example/v1.0/")
    assert seen["verify"] == str(tmp_path / "corp.pem")
