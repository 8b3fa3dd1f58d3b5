"""What `entra-kri report` shows about a tenant, gathered from its snapshots (no HTML here).

The report is about the newest complete snapshot that verifies: its KRIs, their
trend over every verified snapshot (each cached value rechecked against its
snapshot, every value recomputed when one differs), the diff from the verified snapshot before it,
and the verification of the tenant's whole chain. A snapshot that does not verify
is named in the report and left out of everything else, so that a tampered file
never feeds a number a reader might trust.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import PurePath
from typing import Any

from entra_kri.analysis.compute import KriReport, compute_kris
from entra_kri.analysis.diff import diff_snapshots
from entra_kri.analysis.history import (
    TrendPoint,
    check_history,
    complete_snapshots,
    find_tenant_dir,
    kri_history,
)
from entra_kri.analysis.thresholds import status

import entra_kri
from entra_kri.errors import SnapshotError
from entra_kri.kris import DEFAULT_THRESHOLDS, KRI_SLUGS, Threshold
from entra_kri.snapshot.chain import TenantChain, verify_tenant


@dataclass(frozen=True)
class KriTrend:
    """One KRI over time, oldest first, each status against the report's threshold."""

    slug: str
    threshold: Threshold
    points: tuple[TrendPoint, ...]


@dataclass(frozen=True)
class Verification:
    """`verify` of the tenant's chain: problems as `<tenant>/<snapshot>/<file>: what`."""

    snapshots: int
    head: str | None
    newest: str | None
    problems: tuple[str, ...]
    unverified: frozenset[str]  # ids of snapshots that have a problem of their own

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows; `*_note` says why a part is missing."""

    tenant_id: str
    generated_at: str
    tool_version: str
    verification: Verification
    current: KriReport | None
    skipped: tuple[str, ...]  # complete snapshots newer than `current` that do not verify
    trends: tuple[KriTrend, ...]
    trend_note: str | None
    diff: dict[str, Any] | None
    diff_note: str | None


def gather_report(
    root: PurePath,
    tenant: str | None = None,
    *,
    thresholds: Mapping[str, Threshold] | None = None,
    kris: Sequence[str] | None = None,
    since: date | None = None,
    now: datetime | None = None,
) -> ReportData:
    """The report of `tenant` under `root` (may be left out when ROOT holds one tenant).

    `thresholds` and `kris` are the tenant's configured ones (default: docs/kri.md's
    thresholds, every KRI); `since` limits the trend, not the verification.
    Raises SnapshotError when the tenant has no complete snapshot.
    """
    tenant_dir = find_tenant_dir(root, tenant)
    chain = verify_tenant(tenant_dir)
    cache_problems = check_history(
        tenant_dir, {c.path.name: c.snapshot for c in chain.snapshots if c.snapshot})
    chain.problems += cache_problems
    verification = _verification(chain)
    refs = complete_snapshots(tenant_dir)
    if not refs:
        raise SnapshotError(f"{tenant_dir} holds no complete snapshot.",
                            "Capture one with `entra-kri snapshot` or `entra-kri run`.")
    verified = [r for r in refs if r.snapshot_id not in verification.unverified]
    limits = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    current = compute_kris(verified[-1].path, limits, kris) if verified else None
    slugs = tuple(k.slug for k in current.kris) if current else tuple(kris or KRI_SLUGS)
    trends, trend_note = _trends(root, tenant_dir.name, slugs, limits, since, verification,
                                 trust_cache=not cache_problems)
    diff, diff_note = _latest_diff(verified)
    newest = verified[-1].snapshot_id if verified else ""
    return ReportData(
        tenant_id=tenant_dir.name,
        generated_at=(now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=entra_kri.__version__,
        verification=verification,
        current=current,
        skipped=tuple(r.snapshot_id for r in refs if r.snapshot_id > newest),
        trends=trends,
        trend_note=trend_note,
        diff=diff,
        diff_note=diff_note,
    )


def _verification(chain: TenantChain) -> Verification:
    base = chain.tenant_dir.parent
    return Verification(
        snapshots=len(chain.snapshots),
        head=chain.head,
        newest=chain.snapshots[-1].path.name if chain.snapshots else None,
        problems=tuple(f"{p.path.relative_to(base)}: {p.message}" for p in chain.all_problems),
        unverified=frozenset(s.path.name for s in chain.snapshots if s.problems),
    )


def _trends(
    root: PurePath,
    tenant_id: str,
    slugs: tuple[str, ...],
    limits: Mapping[str, Threshold],
    since: date | None,
    verification: Verification,
    trust_cache: bool,
) -> tuple[tuple[KriTrend, ...], str | None]:
    try:
        history = kri_history(root, tenant_id, since=since, slugs=slugs,
                              skip=verification.unverified, trust_cache=trust_cache)
    except SnapshotError as exc:
        return (), f"The trend could not be computed: {exc.message}"
    trends = tuple(
        KriTrend(slug, limits[slug], tuple(
            replace(p, status=status(p.value, limits[slug]))
            for p in history.points if p.slug == slug
        ))
        for slug in slugs
    )
    return trends, None


def _latest_diff(verified: list[Any]) -> tuple[dict[str, Any] | None, str | None]:
    if len(verified) < 2:
        return None, "There is no earlier verified snapshot to compare with."
    try:
        return diff_snapshots(verified[-2].path, verified[-1].path), None
    except SnapshotError as exc:
        return None, f"The diff could not be computed: {exc.message}"
