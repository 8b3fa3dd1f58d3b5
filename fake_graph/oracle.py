"""`expected_kris`: the KRIs computed in plain Python from `docs/kri.md`'s definitions.

The exact Conditional Access coverage (docs/ca-resolver.md) is in ca_oracle.py.

Written independently of the SQL so end-to-end tests have something to compare
it against. It reads the tenant's full data, then applies docs/kri.md's fail-safe
table for the collections the fake refuses because of the tenant's licence or
granted roles (not for faults injected with `FakeGraph.refuse`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from .builders import NEVER_SIGNED_IN
from .ca_oracle import exact_coverage_gaps
from .graph_api import (
    READ_AUDIT,
    READ_CA,
    READ_REGISTRATION,
    READ_ROLES,
    READ_STRENGTHS,
    READ_USERS,
)
from .odata import parse_time
from .tenant import FakeTenant, Json


class IncompleteSnapshot(Exception):
    """The fake would refuse /users or /directoryRoles: docs/kri.md computes no KRI at all."""


def _round1(value: float) -> float:
    """DuckDB's round(x, 1): half away from zero."""
    scaled = value * 10
    return math.copysign(math.floor(abs(scaled) + 0.5), scaled) / 10


def _is_guest(u: Json) -> bool:
    return (u.get("userType") or "").lower() == "guest"


def _enabled_members(users: Iterable[Json]) -> list[Json]:
    return [u for u in users if u.get("accountEnabled") is True and not _is_guest(u)]


def _never_or_before(activity: Any, cutoff: datetime) -> bool:
    if not isinstance(activity, dict):
        return True
    last = activity.get("lastSignInDateTime")
    if last in (None, "", NEVER_SIGNED_IN):
        return True
    return parse_time(last) < cutoff


def _privileged_user_ids(tenant: FakeTenant) -> set[str]:
    ids: set[str] = set()
    for role in tenant.directory_roles:
        for member in tenant.role_members.get(role["id"], []):
            kind = member.get("@odata.type")
            if kind == "#microsoft.graph.user":
                ids.add(member["id"])
            elif kind == "#microsoft.graph.group":
                for inner in tenant.group_transitive_members.get(member["id"], []):
                    if inner.get("@odata.type") == "#microsoft.graph.user":
                        ids.add(inner["id"])
    return ids


def _has(tenant: FakeTenant, permissions: frozenset[str]) -> bool:
    return bool(permissions & tenant.granted_roles)


def expected_kris(tenant: FakeTenant, now: datetime) -> dict[str, float | int | None]:
    """Slug -> value, as a correct tool would compute from a capture of `tenant` at `now`."""
    now = now.astimezone(UTC)
    premium = tenant.licence == "p1"
    if not (_has(tenant, READ_USERS) and _has(tenant, READ_ROLES)):
        raise IncompleteSnapshot("the fake refuses /users or /directoryRoles for this tenant")
    activity_ok = premium and "AuditLog.Read.All" in tenant.granted_roles
    registration_ok = _has(tenant, READ_REGISTRATION) and (
        premium or not tenant.registration_details_need_premium
    )
    sign_ins_ok = premium and _has(tenant, READ_AUDIT)
    audits_ok = _has(tenant, READ_AUDIT)
    ca_ok = premium and _has(tenant, READ_CA)

    users = list(tenant.users)
    members = _enabled_members(users)
    registered_ids = (
        {r["id"] for r in tenant.registration_details if r.get("isMfaRegistered") is True}
        if registration_ok
        else set()
    )
    cutoff = now - timedelta(days=90)
    if activity_ok:
        stale = sum(1 for u in members if _never_or_before(u.get("signInActivity"), cutoff))
    else:
        stale = len(members)
    privileged = _privileged_user_ids(tenant)
    window_start = now - timedelta(hours=24)

    def in_window(stamp: str) -> bool:
        return window_start <= parse_time(stamp) <= now

    failed = (
        sum(
            1
            for s in tenant.sign_ins
            if (s.get("status") or {}).get("errorCode", 0) != 0 and in_window(s["createdDateTime"])
        )
        if sign_ins_ok
        else 0
    )
    role_changes = (
        sum(
            1
            for a in tenant.directory_audits
            if a.get("category") == "RoleManagement" and in_window(a["activityDateTime"])
        )
        if audits_ok
        else 0
    )
    covered = ca_ok and any(_is_heuristic_mfa_policy(p) for p in tenant.ca_policies)
    mfa_registered = sum(1 for u in members if u["id"] in registered_ids)
    return {
        "entra_mfa_enrollment_pct": (
            _round1(100.0 * mfa_registered / len(members)) if members else None
        ),
        "entra_privileged_no_mfa_count": len(privileged - registered_ids),
        "entra_stale_accounts_90d": stale,
        "entra_ca_coverage_gaps": 0 if covered else len(members),
        "entra_ca_coverage_gaps_exact": exact_coverage_gaps(
            tenant, members, policies_readable=ca_ok,
            strengths_readable=_has(tenant, READ_STRENGTHS),
        ),
        "entra_guest_account_count": sum(1 for u in users if u.get("userType") == "Guest"),
        "entra_failed_signins_24h": failed,
        "entra_priv_role_changes_24h": role_changes,
    }


def _is_heuristic_mfa_policy(policy: Json) -> bool:
    users = (policy.get("conditions") or {}).get("users") or {}
    controls = (policy.get("grantControls") or {}).get("builtInControls") or []
    return (
        policy.get("state") == "enabled"
        and "All" in (users.get("includeUsers") or [])
        and not users.get("excludeUsers")
        and "mfa" in controls
    )
