"""Write tiny hand-built snapshot directories (docs/snapshot-format.md) for tests.

`build_snapshot(root, users=[...], ...)` writes ROOT/<tenant>/<snapshot_id>/ with
gzip'd NDJSON collections (mtime 0) and a manifest.json carrying their true sizes
and SHA-256, so the snapshot verifies; options mark collections refused or
signInActivity forbidden/stripped as the capture would record them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from entra_kri.analysis.compute import KriResult, compute_kris

TENANT_ID = "00000000-0000-0000-0000-000000000000"
CAPTURED_AT = "2026-11-27T11:06:44Z"
GRAPH = "https://graph.microsoft.com/v1.0"

PATHS = {
    "organization": "/organization",
    "users": "/users",
    "directory_roles": "/directoryRoles",
    "directory_role_members": "/directoryRoles/{id}/members",
    "group_members": "/groups/{id}/transitiveMembers",
    "sign_ins": "/auditLogs/signIns",
    "directory_audits": "/auditLogs/directoryAudits",
    "conditional_access_policies": "/identity/conditionalAccess/policies",
    "user_registration_details": "/reports/authenticationMethods/userRegistrationDetails",
    "ca_group_members": "/groups/{id}/transitiveMembers",
    "authentication_strength_policies": "/policies/authenticationStrengthPolicies",
    "named_locations": "/identity/conditionalAccess/namedLocations",
}
# Read only when the policies were (snapshotter/ca_references.py); else "skipped".
CA_REFERENCES = ("ca_group_members", "authentication_strength_policies", "named_locations")

REFUSALS = {
    403: ("forbidden", "Authentication_RequestFromNonPremiumTenantOrB2CTenant"),
    404: ("not_found", "Request_ResourceNotFound"),
}


def gzip_lines(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """NDJSON, one compact object per line, gzip'd with mtime 0 and no file name."""
    text = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in rows)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as f:
        f.write(text.encode("utf-8"))
    return buf.getvalue()


def build_snapshot(
    root: Path,
    *,
    users: Sequence[Mapping[str, Any]] = (),
    registration: Sequence[Mapping[str, Any]] = (),
    directory_roles: Sequence[Mapping[str, Any]] = (),
    role_members: Sequence[Mapping[str, Any]] = (),
    group_members: Sequence[Mapping[str, Any]] = (),
    sign_ins: Sequence[Mapping[str, Any]] = (),
    directory_audits: Sequence[Mapping[str, Any]] = (),
    ca_policies: Sequence[Mapping[str, Any]] = (),
    ca_group_members: Sequence[Mapping[str, Any]] = (),
    ca_group_reads: Sequence[Mapping[str, Any]] | None = None,
    refused_groups: Mapping[str, int] | None = None,
    authentication_strengths: Sequence[Mapping[str, Any]] = (),
    named_locations: Sequence[Mapping[str, Any]] = (),
    without: Sequence[str] = (),
    refused: Mapping[str, int] | None = None,
    sign_in_activity: str = "ok",
    sign_in_filter: str = "failures_only",
    captured_at: str = CAPTURED_AT,
    tenant_id: str = TENANT_ID,
    warnings: Sequence[str] = (),
    **manifest_overrides: Any,
) -> Path:
    """Write a snapshot and return its directory.

    `refused` maps a collection name to 403 or 404: its file is then an empty gzip
    and the manifest carries the outcome and a Graph error body. `ca_group_reads`
    is the manifest's per-group list for `ca_group_members` (default: every group
    found in `ca_group_members`, read ok); `refused_groups` adds group reads refused
    with 403/404. `without` leaves collections out (a snapshot from an older version).
    """
    refused = dict(refused or {})
    snapshot_id = datetime.strptime(captured_at[:19], "%Y-%m-%dT%H:%M:%S").strftime(
        "%Y%m%dT%H%M%SZ"
    )
    path = Path(root) / tenant_id / snapshot_id
    path.mkdir(parents=True)
    rows = {
        "organization": [{"id": tenant_id, "displayName": "Contoso"}],
        "users": users,
        "directory_roles": directory_roles,
        "directory_role_members": role_members,
        "group_members": group_members,
        "sign_ins": sign_ins,
        "directory_audits": directory_audits,
        "conditional_access_policies": ca_policies,
        "user_registration_details": registration,
        "ca_group_members": ca_group_members,
        "authentication_strength_policies": authentication_strengths,
        "named_locations": named_locations,
    }
    collections = []
    for name, items in rows.items():
        if name in without:
            continue
        status = refused.get(name)
        skipped = name in CA_REFERENCES and "conditional_access_policies" in refused
        data = gzip_lines([] if status else items)
        file_name = f"{name}.ndjson.gz"
        (path / file_name).write_bytes(data)
        entry: dict[str, Any] = {
            "name": name,
            "url": GRAPH + PATHS[name],
            "outcome": "ok",
            "http_status": 200,
            "error": None,
            "items": 0 if status else len(items),
            "pages": 1,
            "file": file_name,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        if skipped:
            data = gzip_lines([])
            entry.update(outcome="skipped", http_status=None, items=0, pages=0,
                         bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                         skipped_because="GET /identity/conditionalAccess/policies was refused")
            (path / file_name).write_bytes(data)
        elif status:
            outcome, code = REFUSALS[status]
            entry.update(
                outcome=outcome,
                http_status=status,
                error={"code": code, "message": f"{code} (test)"},
                pages=0,
            )
        if name == "users":
            entry["sign_in_activity"] = sign_in_activity
        if name == "sign_ins":
            entry["filter"] = sign_in_filter
        if name == "ca_group_members" and not skipped:
            entry["groups"] = _group_reads(ca_group_members, ca_group_reads, refused_groups)
        collections.append(entry)
    manifest = {
        "format_version": 1,
        "tool_version": "0.1.0",
        "tenant_id": tenant_id,
        "snapshot_id": snapshot_id,
        "captured_at": captured_at,
        "graph_url": GRAPH,
        "login_url": "https://login.microsoftonline.com",
        "complete": True,
        "previous_manifest_sha256": None,
        "collections": collections,
        "warnings": list(warnings),
        **manifest_overrides,
    }
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return path


def _group_reads(
    members: Sequence[Mapping[str, Any]],
    reads: Sequence[Mapping[str, Any]] | None,
    refused_groups: Mapping[str, int] | None,
) -> list[dict[str, Any]]:
    if reads is None:
        names = {m["_groupId"]: m.get("_groupDisplayName") for m in members}
        reads = [
            {"id": gid, "display_name": name, "outcome": "ok", "http_status": 200,
             "items": sum(1 for m in members if m["_groupId"] == gid), "error": None}
            for gid, name in sorted(names.items())
        ]
    out = [dict(r) for r in reads]
    for gid, status in (refused_groups or {}).items():
        outcome, code = REFUSALS[status]
        if status == 403:
            code = "Authorization_RequestDenied"
        out.append({"id": gid, "display_name": None, "outcome": outcome, "http_status": status,
                    "items": 0, "error": {"code": code, "message": f"{code} (test)"}})
    return out


def user(
    user_id: str,
    *,
    enabled: bool | None = True,
    user_type: str | None = "Member",
    last_sign_in: str | None = "2026-11-26T10:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    """A /users object; pass last_sign_in=... or signInActivity=... via extra to vary."""
    row: dict[str, Any] = {
        "id": user_id,
        "userPrincipalName": f"{user_id}@contoso.example",
        "accountEnabled": enabled,
        "userType": user_type,
        "signInActivity": {"lastSignInDateTime": last_sign_in},
    }
    row.update(extra)
    return row


def registered(user_id: str, is_mfa_registered: bool | None = True) -> dict[str, Any]:
    """A userRegistrationDetails row."""
    return {"id": user_id, "userType": "member", "isMfaRegistered": is_mfa_registered}


def role_member(
    role_id: str, member_id: str, odata_type: str = "#microsoft.graph.user"
) -> dict[str, Any]:
    """A /directoryRoles/{id}/members object with the capture's _role context."""
    return {
        "@odata.type": odata_type,
        "id": member_id,
        "displayName": member_id,
        "_roleId": role_id,
        "_roleTemplateId": f"template-{role_id}",
        "_roleDisplayName": f"Role {role_id}",
    }


def group_member(
    group_id: str, member_id: str, odata_type: str = "#microsoft.graph.user"
) -> dict[str, Any]:
    """A /groups/{id}/transitiveMembers object with the capture's _group context."""
    return {
        "@odata.type": odata_type,
        "id": member_id,
        "displayName": member_id,
        "_groupId": group_id,
        "_groupDisplayName": f"Group {group_id}",
    }


def compute_kri(root: Path, slug: str, **snapshot: Any) -> KriResult:
    """Build a snapshot from `snapshot` keyword arguments and compute one KRI from it."""
    (result,) = compute_kris(build_snapshot(root, **snapshot), kris=[slug]).kris
    return result
