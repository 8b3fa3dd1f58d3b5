"""The KRI registry: each KRI's identity, defined once.

Slug, title, short name, unit, default thresholds, a one-line summary and the
names of its SQL files. Everything else (computation, thresholds, trend,
report, explain, history, diff, configuration) looks KRIs up here. The rules
themselves are in docs/kri.md and docs/ca-resolver.md; the values come from
`analysis/sql/kri/<slug>.sql`. No heavy imports: the bottom layer
(docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from entra_kri.errors import ConfigurationError

Unit = Literal["percent", "count"]
Direction = Literal["higher_is_worse", "lower_is_worse"]


@dataclass(frozen=True)
class Threshold:
    """When a KRI value warns or breaches; `None` means that level is never reached.

    Higher is worse: `value >= breach` breaches, `value >= warn` warns.
    Lower is worse: `value < breach` breaches, `value < warn` warns (docs/kri.md's
    `entra_mfa_enrollment_pct`: warn when < 95, breach when < 90).
    """

    warn: float | None
    breach: float | None
    direction: Direction = "higher_is_worse"

    def as_dict(self) -> dict[str, float | None]:
        return {"warn": self.warn, "breach": self.breach}


@dataclass(frozen=True)
class Kri:
    """One key risk indicator, as every command names and judges it."""

    slug: str
    title: str  # the report's heading
    short_name: str  # the trend table's column
    unit: Unit
    threshold: Threshold  # docs/kri.md, "Default thresholds"
    summary: str  # what the value counts, in one line (the README's KRI table)

    @property
    def kri_sql(self) -> str:
        """The file under analysis/sql/ that computes the value."""
        return f"kri/{self.slug}.sql"

    @property
    def explain_sql(self) -> str:
        """The file under analysis/sql/ that lists the rows behind the value."""
        return f"explain/{self.slug}.sql"


# docs/kri.md's seven KRIs in its order, with the exact CA resolver's (docs/ca-resolver.md)
# after the heuristic it refines.
KRIS: tuple[Kri, ...] = (
    Kri("entra_mfa_enrollment_pct", "MFA registration of enabled members", "mfa_pct",
        "percent", Threshold(warn=95, breach=90, direction="lower_is_worse"),
        "% of enabled members registered for MFA"),
    Kri("entra_privileged_no_mfa_count", "Privileged users without MFA", "priv_no_mfa",
        "count", Threshold(warn=None, breach=1),
        "users in an activated directory role (directly or via a group) not registered "
        "for MFA"),
    Kri("entra_stale_accounts_90d", "Stale accounts (no sign-in for 90 days)", "stale_90d",
        "count", Threshold(warn=1, breach=25),
        "enabled members with no sign-in in 90 days (or never)"),
    Kri("entra_ca_coverage_gaps", "Members outside an all-users MFA policy (heuristic)",
        "ca_gaps", "count", Threshold(warn=None, breach=1),
        "0 if one enabled all-users MFA policy excludes no one, else all enabled members "
        "(the original heuristic, kept for comparability)"),
    Kri("entra_ca_coverage_gaps_exact", "Members outside MFA Conditional Access (exact)",
        "ca_gaps_exact", "count", Threshold(warn=None, breach=1),
        "enabled members left without MFA or block in some sign-in context (app, client app "
        "type, platform, location, user risk, sign-in risk, flow), every enabled "
        "policy that applies counting together as Entra enforces them; resolved per user "
        "through groups, roles, guest types and grant controls"),
    Kri("entra_guest_account_count", "Guest accounts", "guests", "count",
        Threshold(warn=100, breach=500), "guest accounts, enabled or not"),
    Kri("entra_failed_signins_24h", "Failed sign-ins in the last 24 h", "failed_24h", "count",
        Threshold(warn=100, breach=1000),
        "sign-ins with a non-zero error code in the 24 h before capture"),
    Kri("entra_priv_role_changes_24h", "Privileged role changes in the last 24 h",
        "role_chg_24h", "count", Threshold(warn=1, breach=5),
        "`RoleManagement` audit events in the 24 h before capture"),
)
KRI_SLUGS: tuple[str, ...] = tuple(k.slug for k in KRIS)
DEFAULT_THRESHOLDS: dict[str, Threshold] = {k.slug: k.threshold for k in KRIS}
_BY_SLUG = {k.slug: k for k in KRIS}


def kri_by_slug(slug: str) -> Kri:
    """The KRI with this slug; ConfigurationError naming the known ones otherwise."""
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise ConfigurationError(f"Unknown KRI {slug!r}.",
                                 f"Use one of: {', '.join(KRI_SLUGS)}.") from None


def selected(slugs: Sequence[str] | None) -> tuple[str, ...]:
    """The KRIs `slugs` names, each once in the given order (None: all of them).

    An unknown slug is a ConfigurationError naming it and the known ones."""
    if slugs is None:
        return KRI_SLUGS
    unknown = [s for s in slugs if s not in _BY_SLUG]
    if unknown:
        raise ConfigurationError(f"Unknown KRI {', '.join(map(repr, unknown))}.",
                                 f"Use one of: {', '.join(KRI_SLUGS)}.")
    return tuple(dict.fromkeys(slugs))
