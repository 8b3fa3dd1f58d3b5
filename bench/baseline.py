"""The capture as a user would otherwise write it: plain `requests`, one collection after
another, every page appended to a list, each list saved as one JSON file at the end.

It asks for the same collections, with the same `$select`, `$top` and `$filter`, as
entra-kri's capture, so both read the same pages of the same fake; it only waits when
told to (Retry-After, or a doubling back-off when a 429 carries none).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

USER_SELECT = (
    "id,displayName,userPrincipalName,mail,accountEnabled,userType,createdDateTime,"
    "creationType,externalUserState,identities,onPremisesSyncEnabled,signInActivity"
)
GROUP = "#microsoft.graph.group"


class BaselineClient:
    """GETs with a bearer token; sleeps and retries on 429, raises on any other error."""

    def __init__(self, session: requests.Session, ca_bundle: str) -> None:
        self.session = session
        self.ca_bundle = ca_bundle
        self.requests = 0
        self.throttled = 0
        self.waited = 0.0

    def get(self, url: str) -> dict[str, Any]:
        backoff = 1.0
        while True:
            self.requests += 1
            response = self.session.get(url, verify=self.ca_bundle)
            if response.status_code != 429:
                response.raise_for_status()
                return response.json()
            self.throttled += 1
            retry_after = response.headers.get("Retry-After")
            wait = float(retry_after) if retry_after else backoff
            backoff = min(backoff * 2, 60.0)
            self.waited += wait
            time.sleep(wait)

    def get_all(self, url: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            body = self.get(next_url)
            items.extend(body["value"])
            next_url = body.get("@odata.nextLink")
        return items


def capture_baseline(*, graph_url: str, login_url: str, tenant_id: str, client_id: str,
                     secret: str, ca_bundle: str, out: Path, captured_at: datetime,
                     window: timedelta) -> dict[str, Any]:
    """Capture every collection into `out/<name>.json`; return request counts and sizes."""
    session = requests.Session()
    token = session.post(f"{login_url}/{tenant_id}/oauth2/v2.0/token", verify=ca_bundle, data={
        "client_id": client_id, "client_secret": secret, "grant_type": "client_credentials",
        "scope": graph_url.rsplit("/", 1)[0] + "/.default",
    })
    token.raise_for_status()
    session.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    graph = BaselineClient(session, ca_bundle)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}

    def save(name: str, items: list[dict[str, Any]]) -> None:
        with (out / f"{name}.json").open("w", encoding="utf-8") as f:
            json.dump(items, f)
        counts[name] = len(items)

    start = (captured_at - window).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = captured_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    save("organization", graph.get_all(f"{graph_url}/organization"))
    save("users", graph.get_all(f"{graph_url}/users?$select={USER_SELECT}&$top=999"))

    roles = graph.get_all(f"{graph_url}/directoryRoles")
    save("directory_roles", roles)
    role_members = []
    for role in roles:
        for member in graph.get_all(f"{graph_url}/directoryRoles/{role['id']}/members"):
            role_members.append({**member, "_roleId": role["id"]})
    save("directory_role_members", role_members)
    role_groups = sorted({m["id"] for m in role_members if m.get("@odata.type") == GROUP})
    group_members = []
    for group_id in role_groups:
        for member in graph.get_all(f"{graph_url}/groups/{group_id}/transitiveMembers?$top=999"):
            group_members.append({**member, "_groupId": group_id})
    save("group_members", group_members)

    save("user_registration_details",
         graph.get_all(f"{graph_url}/reports/authenticationMethods/userRegistrationDetails"))

    policies = graph.get_all(f"{graph_url}/identity/conditionalAccess/policies")
    save("conditional_access_policies", policies)
    ca_groups = sorted({g for p in policies for key in ("includeGroups", "excludeGroups")
                        for g in p["conditions"]["users"].get(key) or ()})
    ca_members = []
    for group_id in ca_groups:
        name = graph.get(f"{graph_url}/groups/{group_id}?$select=id,displayName")["displayName"]
        for member in graph.get_all(f"{graph_url}/groups/{group_id}/transitiveMembers?$top=999"):
            ca_members.append({**member, "_groupId": group_id, "_groupDisplayName": name})
    save("ca_group_members", ca_members)
    save("authentication_strength_policies",
         graph.get_all(f"{graph_url}/policies/authenticationStrengthPolicies"))
    save("named_locations",
         graph.get_all(f"{graph_url}/identity/conditionalAccess/namedLocations"))

    save("sign_ins", graph.get_all(
        f"{graph_url}/auditLogs/signIns?$filter=createdDateTime ge {start} and "
        f"createdDateTime le {end} and status/errorCode ne 0&$top=1000"))
    save("directory_audits", graph.get_all(
        f"{graph_url}/auditLogs/directoryAudits?$filter=activityDateTime ge {start} and "
        f"activityDateTime le {end}"))
    return {
        "items": counts,
        "requests": graph.requests,
        "throttled": graph.throttled,
        "waited_seconds": round(graph.waited, 1),
        "bytes_on_disk": sum(p.stat().st_size for p in out.iterdir()),
    }
