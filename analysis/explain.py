"""The rows behind a KRI value (docs/audit.md, "explain SNAPSHOT SLUG").

Each KRI has analysis/sql/explain/<slug>.sql returning one row per counted object,
so that the number of rows equals the KRI value (for the percentage, the registered
share of the rows does). The views of analysis/sql/audit/ serve diff.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

import duckdb
from entra_kri.analysis.compute import (
    KriResult,
    compute_one,
    connect,
    create_views,
    materialize_for,
    sql_path,
    verified,
)

from entra_kri.kris import DEFAULT_THRESHOLDS, Threshold, kri_by_slug, selected
from entra_kri.snapshot.validate import Snapshot

# Explanations shown one block per row instead of a table: their cells hold several
# long lines (docs/ca-resolver.md, "explain": readable at 120 columns).
RECORD_LAYOUT = frozenset({"entra_ca_coverage_gaps_exact"})
# An explain file whose header has this line takes the columns after its last one from
# <relation>, matched on <key> (its last column, left out of the rows): rows with the
# same key share those values, fetched once, instead of each carrying its own copy of
# the same long lists (docs/ca-resolver.md, "Performance").
SHARED_COLUMNS = re.compile(r"^-- Shared columns: (\w+) by (\w+)$", re.MULTILINE)


@dataclass(frozen=True)
class Explanation:
    """A KRI result of one snapshot with the rows that make its value."""

    snapshot: Snapshot
    kri: KriResult
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    summary: str
    service_principals: tuple[dict[str, Any], ...]
    explain_sql_sha256: str

    def as_dict(self) -> dict[str, Any]:
        """audit.md's JSON: slug, value, rows, summary, and the snapshot and provenance."""
        data: dict[str, Any] = {
            "slug": self.kri.slug,
            "value": self.kri.value,
            "status": self.kri.status,
            "degraded": self.kri.degraded,
            "warnings": list(self.kri.warnings),
            "tenant_id": self.snapshot.tenant_id,
            "snapshot_id": self.snapshot.snapshot_id,
            "captured_at": self.snapshot.captured_at,
            "summary": self.summary,
            "columns": list(self.columns),
            "rows": [dict(r) for r in self.rows],
            "sql_sha256": self.kri.sql_sha256,
            "explain_sql_sha256": self.explain_sql_sha256,
            "tool_version": self.kri.tool_version,
        }
        if self.kri.slug == "entra_privileged_no_mfa_count":
            data["service_principals"] = [dict(r) for r in self.service_principals]
        return data


@contextmanager
def audit_connection(snapshot: Snapshot) -> Iterator[duckdb.DuckDBPyConnection]:
    """`connect(snapshot)` plus the views of analysis/sql/audit/."""
    con = connect(snapshot)
    try:
        create_views(con, "audit")
        yield con
    finally:
        con.close()


def explain(snapshot_dir: PurePath | Snapshot, slugs: Sequence[str] | None = None,
            thresholds: Mapping[str, Threshold] | None = None) -> list[Explanation]:
    """Verify the snapshot (unless given one verified already) and explain `slugs` (default:
    every KRI); statuses against `thresholds` (default: docs/kri.md's)."""
    chosen = selected(slugs or None)
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    snapshot = verified(snapshot_dir)
    with audit_connection(snapshot) as con:
        return [explain_on(con, snapshot, slug, limits[slug]) for slug in chosen]


def explain_on(con: duckdb.DuckDBPyConnection, snapshot: Snapshot, slug: str,
               threshold: Threshold | None = None) -> Explanation:
    """Explain one KRI on a connection from `audit_connection(snapshot)`."""
    kri = compute_one(con, snapshot, slug, threshold or DEFAULT_THRESHOLDS[slug])
    sql = sql_path(kri_by_slug(slug).explain_sql).read_bytes()
    materialize_for(con, sql.decode("utf-8"))
    columns, rows = explain_rows(con, sql.decode("utf-8"))
    service_principals: tuple[dict[str, Any], ...] = ()
    if slug == "entra_privileged_no_mfa_count":
        _, service_principals = query_rows(
            con,
            "select service_principal_id as id, display_name, role_display_name, path, "
            "via_group_display_name from int_privileged_service_principals "
            "order by display_name, id, role_display_name",
        )
    return Explanation(
        snapshot=snapshot,
        kri=kri,
        columns=columns,
        rows=rows,
        summary=_summary(con, kri, rows, service_principals),
        service_principals=service_principals,
        explain_sql_sha256=hashlib.sha256(sql).hexdigest(),
    )


def explain_rows(
    con: duckdb.DuckDBPyConnection, sql: str
) -> tuple[tuple[str, ...], tuple[dict[str, Any], ...]]:
    """Run the explain file `sql`; its columns and rows, with the shared columns its header
    names (SHARED_COLUMNS) in place of their key."""
    columns, rows = query_rows(con, sql)
    header = itertools.takewhile(lambda line: line.startswith("--"), sql.splitlines())
    shared = SHARED_COLUMNS.search("\n".join(header))
    if shared is None:
        return columns, rows
    relation, key = shared.groups()
    shared_columns, shared_rows = query_rows(con, f'select * from "{relation}"')
    values = {row[key]: row for row in shared_rows}
    own = tuple(c for c in columns if c != key)
    added = tuple(c for c in shared_columns if c != key)
    return own + added, tuple(
        {**{c: row[c] for c in own}, **{c: values[row[key]][c] for c in added}} for row in rows
    )


def query_rows(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()
) -> tuple[tuple[str, ...], tuple[dict[str, Any], ...]]:
    """Run `sql`; its column names and its rows as JSON-ready dicts."""
    cursor = con.execute(sql, list(params))
    columns = tuple(d[0] for d in cursor.description)
    return columns, tuple(
        {c: json_ready(v) for c, v in zip(columns, row, strict=True)} for row in cursor.fetchall()
    )


def json_ready(value: Any) -> Any:
    """Timestamps as ISO 8601 UTC with Z; lists element-wise; the rest unchanged."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if moment.microsecond:
            text += f".{moment.microsecond:06d}"
        return text + "Z"
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    return value


def _summary(
    con: duckdb.DuckDBPyConnection,
    kri: KriResult,
    rows: Sequence[dict[str, Any]],
    service_principals: Sequence[dict[str, Any]],
) -> str:
    n = len(rows)
    slug = kri.slug
    if slug == "entra_mfa_enrollment_pct":
        registered = sum(1 for r in rows if r["registered"])
        if not n:
            return "No enabled members: the enrollment percentage is undefined."
        return (f"{registered} of {n} enabled members are MFA-registered: "
                f"round(100 * {registered} / {n}, 1) = {kri.value}.")
    if slug == "entra_privileged_no_mfa_count":
        sps = len({sp["id"] for sp in service_principals})
        return (f"{n} privileged user(s) without MFA registration. {sps} service "
                "principal(s) hold roles: listed apart, not counted.")
    if slug == "entra_stale_accounts_90d":
        return f"{n} enabled member(s) with no sign-in in the 90 days before capture."
    if slug == "entra_ca_coverage_gaps":
        return _ca_summary(con, kri, n)
    if slug == "entra_ca_coverage_gaps_exact":
        return _exact_ca_summary(kri, rows)
    if slug == "entra_guest_account_count":
        enabled = sum(1 for r in rows if r["account_enabled"])
        return f"{n} guest account(s), {enabled} of them enabled."
    if slug == "entra_failed_signins_24h":
        return f"{n} failed sign-in(s) in the 24 hours before capture."
    return f"{n} RoleManagement audit event(s) in the 24 hours before capture."


def _exact_ca_summary(kri: KriResult, rows: Sequence[dict[str, Any]]) -> str:
    """docs/ca-resolver.md, explain: the gap, and who report-only policies would cover."""
    n = len(rows)
    if any(r["reason"].startswith("Conditional Access policies refused") for r in rows):
        return (f"Conditional Access policies were refused: all {n} enabled members count "
                "as gaps (fail-safe).")
    text = (f"{n} enabled member(s) left without MFA or block in some sign-in context by "
            "every enabled policy that applies to them.")
    by_policy: dict[str, int] = {}
    for row in rows:
        for policy in row["covered_if_enforced"]:
            by_policy[policy] = by_policy.get(policy, 0) + 1
    if by_policy:
        would = sum(1 for r in rows if r["covered_if_enforced"])
        named = ", ".join(f"{p!r} ({k})" for p, k in sorted(by_policy.items()))
        text += f" {would} would be covered if a report-only policy were enforced: {named}."
    if kri.degraded:
        text += (" Degraded: a policy references data that could not be read and covers "
                 "no one it depends on it for (see the warnings).")
    return text


def _ca_summary(con: duckdb.DuckDBPyConnection, kri: KriResult, n: int) -> str:
    if kri.degraded:
        return (f"Conditional Access policies were refused: all {n} enabled members count "
                "as gaps (fail-safe).")
    _, checks = query_rows(con, "select * from int_heuristic_ca_checks")
    qualifying = [c for c in checks if c["qualifies"]]
    if qualifying:
        policy = qualifying[0]
        return (f"Satisfied by policy {policy['display_name']!r} ({policy['policy_id']}): "
                "enabled, includes All users, excludes none, requires MFA.")
    if not checks:
        return f"No Conditional Access policy exists: all {n} enabled members count as gaps."
    reasons = "; ".join(
        f"{c['display_name']!r} ({c['policy_id']}): {c['why_not']}" for c in checks
    )
    return f"No policy qualified, so all {n} enabled members count as gaps. {reasons}."
