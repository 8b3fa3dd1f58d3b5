"""What changed between two snapshots of a tenant (docs/audit.md, "diff OLD NEW").

`fetch_facts` reads what a snapshot says (users, registration, role memberships,
Conditional Access policies, RoleManagement audit events, explain rows);
`diff_snapshots` compares two of them. Role-membership changes with no matching
RoleManagement audit event in the newer snapshot are flagged `unaudited`.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from entra_kri.analysis.explain import Explanation, audit_connection, explain_on, query_rows

from entra_kri.errors import ConfigurationError
from entra_kri.kris import KRI_SLUGS
from entra_kri.snapshot.validate import Snapshot, open_snapshot
from entra_kri.tenant_text import visible, visible_lines

MEMBERSHIP_KEY = ("principal_id", "role_id", "path", "via_group_id")


@dataclass(frozen=True)
class Facts:
    """What one snapshot says, as plain rows."""

    snapshot: Snapshot
    users: dict[str, dict[str, Any]]
    registration: dict[str, bool] | None  # None: userRegistrationDetails refused
    memberships: dict[tuple[Any, ...], dict[str, Any]]
    policies: dict[str, dict[str, Any]] | None  # None: policies refused
    role_events: list[dict[str, Any]] | None  # None: directory audits refused
    explanations: dict[str, Explanation]


def fetch_facts(snapshot_dir: PurePath) -> Facts:
    """Verify the snapshot and read the facts a diff compares."""
    snapshot = open_snapshot(snapshot_dir)
    refused = {c.name for c in snapshot.manifest.collections if not c.is_ok}
    with audit_connection(snapshot) as con:
        _, users = query_rows(con, "select * from diff_users")
        _, registration = query_rows(con, "select * from diff_registration")
        _, memberships = query_rows(con, "select * from diff_memberships")
        _, events = query_rows(con, "select * from diff_role_events")
        explanations = {slug: explain_on(con, snapshot, slug) for slug in KRI_SLUGS}
    return Facts(
        snapshot=snapshot,
        users={u["id"]: u for u in users},
        registration=None if "user_registration_details" in refused
        else {r["user_id"]: bool(r["registered"]) for r in registration},
        memberships={tuple(m[k] for k in MEMBERSHIP_KEY): m for m in memberships},
        policies=None if "conditional_access_policies" in refused else _policies(snapshot),
        role_events=None if "directory_audits" in refused else list(events),
        explanations=explanations,
    )


def _policies(snapshot: Snapshot) -> dict[str, dict[str, Any]]:
    verified = snapshot.files["conditional_access_policies"]
    with snapshot.storage.open_read(verified) as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {str(p.get("id")): p for p in rows}


def diff_snapshots(old_dir: PurePath, new_dir: PurePath) -> dict[str, Any]:
    """The differences from the snapshot at `old_dir` to the one at `new_dir`, as JSON data."""
    old, new = fetch_facts(old_dir), fetch_facts(new_dir)
    if old.snapshot.tenant_id != new.snapshot.tenant_id:
        raise ConfigurationError(
            f"{old_dir} is of tenant {old.snapshot.tenant_id} and {new_dir} of tenant "
            f"{new.snapshot.tenant_id}.",
            "Compare two snapshots of the same tenant.",
        )
    notes: list[str] = []
    if old.snapshot.captured_at > new.snapshot.captured_at:
        notes.append("OLD was captured after NEW: the changes are shown from OLD to NEW.")
    roles = _role_changes(old, new, notes)
    data: dict[str, Any] = {
        "tenant_id": new.snapshot.tenant_id,
        "old": _identity(old.snapshot),
        "new": _identity(new.snapshot),
        "users": _user_changes(old, new),
        "mfa_registration": _mfa_changes(old, new, notes),
        "role_membership": roles,
        "unaudited_role_changes": [
            c for kind in ("gained", "lost") for c in roles[kind] if c["audit"] == "none"
        ],
        "ca_policies": _policy_changes(old, new, notes),
        "kris": [_kri_delta(old.explanations[s], new.explanations[s]) for s in KRI_SLUGS],
        "notes": notes,
    }
    data["has_differences"] = _has_differences(data)
    return data


def _identity(snapshot: Snapshot) -> dict[str, str]:
    return {"snapshot_id": snapshot.snapshot_id, "captured_at": snapshot.captured_at,
            "path": str(snapshot.path)}


def _named(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "name": user.get("user_principal_name") or user.get("display_name")}


def _user_changes(old: Facts, new: Facts) -> dict[str, list[dict[str, Any]]]:
    both = sorted(set(old.users) & set(new.users))

    def changed(test: Any) -> list[dict[str, Any]]:
        return [_named(new.users[u]) for u in both if test(old.users[u], new.users[u])]

    return {
        "added": [_named(new.users[u]) for u in sorted(set(new.users) - set(old.users))],
        "removed": [_named(old.users[u]) for u in sorted(set(old.users) - set(new.users))],
        "enabled": changed(lambda a, b: not a["account_enabled"] and b["account_enabled"]),
        "disabled": changed(lambda a, b: a["account_enabled"] and not b["account_enabled"]),
        "turned_guest": changed(lambda a, b: not a["is_guest"] and b["is_guest"]),
        "turned_member": changed(lambda a, b: a["is_guest"] and not b["is_guest"]),
    }


def _mfa_changes(old: Facts, new: Facts, notes: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Users with a registration row in both snapshots (Graph gives disabled users none)."""
    if old.registration is None or new.registration is None:
        notes.append("userRegistrationDetails was refused in one snapshot: MFA registration "
                     "changes are not known.")
        return {"gained": [], "lost": []}
    both = sorted(set(old.registration) & set(new.registration) & set(new.users))
    return {
        "gained": [_named(new.users[u]) for u in both
                   if not old.registration[u] and new.registration[u]],
        "lost": [_named(new.users[u]) for u in both
                 if old.registration[u] and not new.registration[u]],
    }


def _role_changes(old: Facts, new: Facts, notes: list[str]) -> dict[str, list[dict[str, Any]]]:
    window_start = old.snapshot.captured_at
    events = new.role_events
    if events is None:
        notes.append("The newer snapshot's directory audits were refused: role-membership "
                     "changes cannot be matched with RoleManagement events.")
    else:
        events = [e for e in events if (e["activity_at"] or "") > window_start]

    def change(membership: dict[str, Any]) -> dict[str, Any]:
        targets = {membership["principal_id"], membership["via_group_id"]} - {None}
        matched = [e["audit_id"] for e in events or [] if targets & set(e["target_ids"])]
        return {
            "id": membership["principal_id"],
            "name": membership["principal_name"],
            "type": membership["principal_type"],
            "role": membership["role_display_name"] or membership["role_id"],
            "role_id": membership["role_id"],
            "path": "direct" if membership["path"] == "direct"
            else f"via group {membership['via_group_display_name'] or membership['via_group_id']}",
            "audit": "unavailable" if events is None else "matched" if matched else "none",
            "audit_events": matched,
        }

    gained = sorted(set(new.memberships) - set(old.memberships), key=str)
    lost = sorted(set(old.memberships) - set(new.memberships), key=str)
    return {
        "gained": [change(new.memberships[k]) for k in gained],
        "lost": [change(old.memberships[k]) for k in lost],
    }


def _policy_changes(old: Facts, new: Facts, notes: list[str]) -> dict[str, list[dict[str, Any]]]:
    if old.policies is None or new.policies is None:
        notes.append("Conditional Access policies were refused in one snapshot: policy "
                     "changes are not known.")
        return {"added": [], "removed": [], "changed": []}

    def named(policy: dict[str, Any]) -> dict[str, Any]:
        return {"id": policy.get("id"), "name": policy.get("displayName")}

    changed = []
    for pid in sorted(set(old.policies) & set(new.policies)):
        before, after = _flatten(old.policies[pid]), _flatten(new.policies[pid])
        fields = [
            {"field": f, "old": before.get(f), "new": after.get(f)}
            for f in sorted(set(before) | set(after))
            if before.get(f) != after.get(f)
        ]
        if fields:
            changed.append({**named(new.policies[pid]), "changes": fields})
    return {
        "added": [named(new.policies[p]) for p in sorted(set(new.policies) - set(old.policies))],
        "removed": [named(old.policies[p])
                    for p in sorted(set(old.policies) - set(new.policies))],
        "changed": changed,
    }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted field paths; lists and scalars are leaf values."""
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else key))
        return flat
    return {prefix: value}


def _row_name(row: dict[str, Any]) -> Any:
    for key in ("user_principal_name", "display_name", "activity_display_name"):
        if row.get(key):
            return row[key]
    return None


def _kri_delta(old: Explanation, new: Explanation) -> dict[str, Any]:
    """The KRI's change and the objects that explain it (rows that entered or left)."""
    before = {r["id"]: r for r in old.rows}
    after = {r["id"]: r for r in new.rows}
    delta = None
    if old.kri.value is not None and new.kri.value is not None:
        delta = round(new.kri.value - old.kri.value, 1)
    result: dict[str, Any] = {
        "slug": new.kri.slug,
        "old": old.kri.value,
        "new": new.kri.value,
        "delta": delta,
        "entered": [{"id": i, "name": _row_name(after[i])}
                    for i in sorted(set(after) - set(before))],
        "left": [{"id": i, "name": _row_name(before[i])}
                 for i in sorted(set(before) - set(after))],
        "sql_sha256": new.kri.sql_sha256,
        "tool_version": new.kri.tool_version,
    }
    if new.kri.slug == "entra_mfa_enrollment_pct":
        result["registration_changed"] = [
            {"id": i, "name": _row_name(after[i]), "registered": after[i]["registered"]}
            for i in sorted(set(before) & set(after))
            if before[i]["registered"] != after[i]["registered"]
        ]
    return result


def _has_differences(data: dict[str, Any]) -> bool:
    sections = (data["users"], data["mfa_registration"], data["role_membership"],
                data["ca_policies"])
    if any(items for section in sections for items in section.values()):
        return True
    return any(k["old"] != k["new"] or k["entered"] or k["left"] for k in data["kris"])


def shown_value(value: Any) -> str:
    """A changed policy field's old or new value, written like JSON, its text made visible.

    Strings are quoted and shown as every other output shows tenant text
    (`tenant_text.visible`: ESC as `\\x1b`, a line break as `\\x0a`, non-ASCII letters as
    written), not with JSON's escapes (`\\u001b`, `\\n`), so `diff` and the report agree
    with the other commands; `--format json` carries the exact value.
    """
    if isinstance(value, str):
        return f'"{visible(value)}"'
    if isinstance(value, list):
        return "[" + ", ".join(shown_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{shown_value(str(key))}: {shown_value(item)}"
                               for key, item in value.items()) + "}"
    return json.dumps(value)


def render_diff_table(data: dict[str, Any]) -> str:
    """The diff as sectioned text lines: `+` added or gained, `-` removed or lost, `~` changed.

    Names are tenant strings: each line is made visible (entra_kri.tenant_text).
    """
    old, new = data["old"], data["new"]
    lines = [f"diff {old['snapshot_id']} -> {new['snapshot_id']} (tenant {data['tenant_id']})"]

    def section(title: str, entries: list[str]) -> None:
        if entries:
            lines.append("")
            lines.append(title)
            lines.extend(f"  {e}" for e in entries)

    def who(item: dict[str, Any]) -> str:
        return f"{item['id']} ({item['name']})" if item.get("name") else str(item["id"])

    users = data["users"]
    marks = {"added": "+", "removed": "-"}
    section("Users", [f"{marks.get(kind, '~')} {who(u)} {kind.replace('_', ' ')}"
                      for kind, items in users.items() for u in items])
    mfa = data["mfa_registration"]
    section("MFA registration", [f"{'+' if kind == 'gained' else '-'} {who(u)} {kind}"
                                 for kind, items in mfa.items() for u in items])
    roles = data["role_membership"]
    section("Role membership", [
        f"{'+' if kind == 'gained' else '-'} {who(c)} {c['role']} ({c['path']}) "
        + _audit_text(c)
        for kind, items in roles.items() for c in items
    ])
    policies = data["ca_policies"]
    entries = [f"+ {who(p)} added" for p in policies["added"]]
    entries += [f"- {who(p)} removed" for p in policies["removed"]]
    for policy in policies["changed"]:
        entries.append(f"~ {who(policy)} changed")
        entries += [f"    {c['field']}: {shown_value(c['old'])} -> {shown_value(c['new'])}"
                    for c in policy["changes"]]
    section("Conditional Access policies", entries)
    kri_lines = []
    for k in data["kris"]:
        delta = "" if k["delta"] is None else f" ({k['delta']:+g})"
        kri_lines.append(f"{k['slug']}: {_num(k['old'])} -> {_num(k['new'])}{delta}")
        kri_lines += [f"    + {who(o)}" for o in k["entered"]]
        kri_lines += [f"    - {who(o)}" for o in k["left"]]
        kri_lines += [f"    ~ {who(o)} registered={str(o['registered']).lower()}"
                      for o in k.get("registration_changed", [])]
    section("KRIs", kri_lines)
    section("Notes", data["notes"])
    if not data["has_differences"]:
        lines.append("no differences")
    return visible_lines("\n".join(lines)) + "\n"


def _audit_text(change: dict[str, Any]) -> str:
    if change["audit"] == "matched":
        return f"[audit: {', '.join(change['audit_events'])}]"
    if change["audit"] == "none":
        return "[NO RoleManagement audit event: changed outside the audit trail?]"
    return "[audit log unavailable]"


def _num(value: float | int | None) -> str:
    return "null" if value is None else f"{value:g}"

