"""A tiny client for poking the fake directly in its own tests: tokens, GETs, page walks."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import requests

from .server import FakeGraph
from .tenant import FakeTenant


class FakeClient:
    """requests against one running `FakeGraph`, verifying TLS with its CA."""

    def __init__(self, fake: FakeGraph, tenant: FakeTenant) -> None:
        self.fake = fake
        self.tenant = tenant
        self.session = requests.Session()
        # This machine sets REQUESTS_CA_BUNDLE globally, which would override `verify`.
        self.session.trust_env = False
        self.session.verify = fake.ca_bundle

    def token_response(self, tenant: str | None = None, **overrides: str) -> requests.Response:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.tenant.client_id,
            "client_secret": self.tenant.client_secret,
            "scope": f"https://127.0.0.1:{self.fake.port}/.default",
            **overrides,
        }
        tenant = tenant or self.tenant.tenant_id
        return self.session.post(f"{self.fake.login_url}/{tenant}/oauth2/v2.0/token", data=form)

    def token(self) -> str:
        response = self.token_response()
        response.raise_for_status()
        return str(response.json()["access_token"])

    def get(self, path_or_url: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        url = (
            path_or_url
            if path_or_url.startswith("https://")
            else (self.fake.graph_url + path_or_url)
        )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.session.get(url, headers=headers, **kwargs)

    def pages(self, path: str, token: str) -> Iterator[dict[str, Any]]:
        url: str | None = self.fake.graph_url + path
        while url:
            response = self.get(url, token)
            assert response.status_code == 200, response.text
            body = response.json()
            yield body
            url = body.get("@odata.nextLink")


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
