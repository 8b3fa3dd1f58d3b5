"""A series of daily snapshots of a small synthetic tenant that changes from day to day.

`build_series(root)` writes DAYS snapshots with `build_snapshot`, each manifest
carrying the SHA-256 of the previous manifest's bytes, as the capture does. What
happens on which day (the facts tests check) is spelled out in `tenant_on`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.snapshot_builder import TENANT_ID, build_snapshot

DAYS = 35
START = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)

GA = ("r-ga", "62e90394-69f5-4237-9190-012177145e10", "Global Administrator")
PRA = ("r-pra", "e8611ab8-c189-46e8-94e1-60213ab1f814", "Privileged Role Administrator")
SR = ("r-sr", "5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader")
ADMINS_GROUP = ("g-admins", "Tier0 Admins")
NEW_USER_DAYS = (5, 10, 15, 20, 25, 30)

# Day-by-day facts the tests rely on.
U03_DISABLED = range(7, 12)
U05_REMOVED_FROM = 10
U08_GUEST_FROM = 15
U02_MFA_LOST = range(14, 25)
U07_GA_FROM = 8  # with a RoleManagement audit event
U17_ADMINS_GROUP_FROM = 18  # only a GroupManagement event: outside the role audit trail
U01_GA_UNTIL = 22  # removed, with a RoleManagement audit event
U12_SR_FROM = 27  # no audit event at all
CA_ENFORCED_FROM = 11
CA_EXCLUDES_U19_FROM = 24
LEGACY_POLICY_DAYS = range(30, 33)
SIGN_INS_REFUSED_DAY = 16
DEPARTMENT_FROM = 20  # users carry a field they did not have before


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def captured_at(day: int) -> datetime:
    return START + timedelta(days=day)


def snapshot_id(day: int) -> str:
    return captured_at(day).strftime("%Y%m%dT%H%M%SZ")


def new_user_ids(day: int) -> list[tuple[str, int]]:
    return [(f"u{21 + k}", d) for k, d in enumerate(NEW_USER_DAYS) if d <= day]


def _user(user_id: str, name: str, now: datetime, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": user_id,
        "displayName": name,
        "userPrincipalName": f"{user_id}@contoso.example",
        "accountEnabled": True,
        "userType": "Member",
        "createdDateTime": "2025-01-01T00:00:00Z",
        "signInActivity": {"lastSignInDateTime": iso(now - timedelta(hours=20))},
    }
    row.update(extra)
    return row


def _users(day: int, now: datetime) -> list[dict[str, Any]]:
    users = []
    for n in range(1, 21):
        uid = f"u{n:02d}"
        if uid == "u05" and day >= U05_REMOVED_FROM:
            continue
        row = _user(uid, f"User {n:02d}", now)
        if uid == "u03" and day in U03_DISABLED:
            row["accountEnabled"] = False
        if uid == "u08" and day >= U08_GUEST_FROM:
            row["userType"] = "Guest"
        if uid == "u10":
            row["signInActivity"] = {"lastSignInDateTime": "2026-08-01T09:00:00.1234567Z"}
        if uid == "u11":
            row["signInActivity"] = {"lastSignInDateTime": None}
        if uid == "u12":
            row["signInActivity"] = {"lastSignInDateTime": "0001-01-01T00:00:00Z"}
        if day >= DEPARTMENT_FROM:
            row["department"] = "Sales" if n % 2 else "Engineering"
        users.append(row)
    for uid, created in new_user_ids(day):
        row = _user(uid, f"New hire {uid}", now, createdDateTime=iso(captured_at(created)))
        if created == day:
            row["signInActivity"] = {"lastSignInDateTime": None}
        users.append(row)
    guests = [("x01", 0), ("x02", 0), ("x03", 0), ("x04", 9), ("x05", 20)]
    for gid, since in guests:
        if since <= day:
            users.append(
                _user(gid, f"Guest {gid}", now, userType="Guest", accountEnabled=gid != "x02",
                      userPrincipalName=f"{gid}_partner.example#EXT#@contoso.example")
            )
    return users


def _registration(day: int, users: list[dict[str, Any]]) -> list[dict[str, Any]]:
    registered = {f"u{n:02d}" for n in range(1, 16)}
    if day in U02_MFA_LOST:
        registered.discard("u02")
    if day >= 6:
        registered.add("u16")
    registered |= {uid for uid, created in new_user_ids(day) if day >= created + 3}
    registered.add("x01")
    return [
        {
            "id": u["id"],
            "userPrincipalName": u["userPrincipalName"],
            "userType": str(u["userType"]).lower(),
            "isMfaRegistered": u["id"] in registered,
        }
        for u in users
        if u["accountEnabled"]
    ]


def _member(kind: str, member_id: str, name: str, context: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {"@odata.type": f"#microsoft.graph.{kind}", "id": member_id,
                           "displayName": name}
    if kind == "user":
        row["userPrincipalName"] = f"{member_id}@contoso.example"
    row.update(context)
    return row


def _roles(day: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    roles = [{"id": r, "roleTemplateId": t, "displayName": n} for r, t, n in (GA, PRA, SR)]

    def ctx(role: tuple[str, str, str]) -> dict[str, str]:
        return {"_roleId": role[0], "_roleTemplateId": role[1], "_roleDisplayName": role[2]}

    members = [_member("user", "u02", "User 02", ctx(GA))]
    if day < U01_GA_UNTIL:
        members.append(_member("user", "u01", "User 01", ctx(GA)))
    if day >= U07_GA_FROM:
        members.append(_member("user", "u07", "User 07", ctx(GA)))
    members.append(_member("group", ADMINS_GROUP[0], ADMINS_GROUP[1], ctx(PRA)))
    members.append(_member("servicePrincipal", "sp-automation", "Automation", ctx(SR)))
    if day >= U12_SR_FROM:
        members.append(_member("user", "u12", "User 12", ctx(SR)))
    group_ctx = {"_groupId": ADMINS_GROUP[0], "_groupDisplayName": ADMINS_GROUP[1]}
    group = [_member("user", uid, f"User {uid[1:]}", group_ctx) for uid in ("u04", "u06")]
    if day >= U17_ADMINS_GROUP_FROM:
        group.append(_member("user", "u17", "User 17", group_ctx))
    return roles, members, group


def _ca_policies(day: int) -> list[dict[str, Any]]:
    policies = [
        {
            "id": "p-mfa",
            "displayName": "Require MFA for all users",
            "state": "enabled" if day >= CA_ENFORCED_FROM else "enabledForReportingButNotEnforced",
            "conditions": {"users": {"includeUsers": ["All"],
                                     "excludeUsers": ["u19"] if day >= CA_EXCLUDES_U19_FROM
                                     else []}},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        },
        {
            "id": "p-admins",
            "displayName": "MFA for admins",
            "state": "enabled",
            "conditions": {"users": {"includeUsers": [], "excludeUsers": [],
                                     "includeRoles": [GA[1]]}},
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"]},
        },
    ]
    if day in LEGACY_POLICY_DAYS:
        policies.append({
            "id": "p-legacy",
            "displayName": "Block legacy authentication",
            "state": "enabled",
            "conditions": {"users": {"includeUsers": ["All"], "excludeUsers": []}},
            "grantControls": {"operator": "OR", "builtInControls": ["block"]},
        })
    return policies


def _sign_ins(day: int, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": f"si-{day:02d}-{k}",
            "createdDateTime": iso(now - timedelta(hours=2 * k + 1)),
            "userId": f"u{k + 1:02d}",
            "userPrincipalName": f"u{k + 1:02d}@contoso.example",
            "appDisplayName": "Office 365",
            "status": {"errorCode": 50126, "failureReason": "Invalid username or password."},
        }
        for k in range((day * 3) % 7 + 1)
    ]


def _audit(day: int, now: datetime, n: int, category: str, activity: str,
           targets: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "id": f"da-{day:02d}-{n}",
        "activityDateTime": iso(now - timedelta(hours=3 + n)),
        "category": category,
        "activityDisplayName": activity,
        "operationType": "Assign" if "Add" in activity else "Unassign",
        "result": "success",
        "initiatedBy": {"user": {"id": "u01", "userPrincipalName": "u01@contoso.example"}},
        "targetResources": [{"id": tid, "type": kind} for tid, kind in targets],
    }


def _directory_audits(day: int, now: datetime) -> list[dict[str, Any]]:
    events = [_audit(day, now, 0, "UserManagement", "Update user", [("u03", "User")])]
    if day == 3:
        events.append(_audit(day, now, 1, "RoleManagement", "Update role setting",
                             [(SR[0], "Role")]))
    if day == U07_GA_FROM:
        events.append(_audit(day, now, 2, "RoleManagement", "Add member to role",
                             [("u07", "User"), (GA[0], "Role")]))
    if day == U17_ADMINS_GROUP_FROM:
        events.append(_audit(day, now, 3, "GroupManagement", "Add member to group",
                             [("u17", "User"), (ADMINS_GROUP[0], "Group")]))
    if day == U01_GA_UNTIL:
        events.append(_audit(day, now, 4, "RoleManagement", "Remove member from role",
                             [("u01", "User"), (GA[0], "Role")]))
    return events


def tenant_on(day: int) -> dict[str, Any]:
    """The `build_snapshot` keyword arguments of the tenant on `day` (0-based)."""
    now = captured_at(day)
    users = _users(day, now)
    roles, members, group = _roles(day)
    return {
        "users": users,
        "registration": _registration(day, users),
        "directory_roles": roles,
        "role_members": members,
        "group_members": group,
        "sign_ins": _sign_ins(day, now),
        "directory_audits": _directory_audits(day, now),
        "ca_policies": _ca_policies(day),
        "refused": {"sign_ins": 403} if day == SIGN_INS_REFUSED_DAY else None,
        "captured_at": iso(now),
    }


def build_series(root: Path, days: int = DAYS, tenant_id: str = TENANT_ID) -> list[Path]:
    """Write `days` daily snapshots under `root`, chained; return them oldest first."""
    paths: list[Path] = []
    previous: str | None = None
    for day in range(days):
        path = build_snapshot(
            root, tenant_id=tenant_id, previous_manifest_sha256=previous, **tenant_on(day)
        )
        previous = hashlib.sha256((path / "manifest.json").read_bytes()).hexdigest()
        paths.append(path)
    return paths
