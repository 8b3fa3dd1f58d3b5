"""KRI thresholds: docs/kri.md's defaults, overrides from configuration, and status."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from entra_kri.errors import ConfigurationError

Status = Literal["ok", "warn", "breach"]
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


DEFAULT_THRESHOLDS: Mapping[str, Threshold] = {
    "entra_mfa_enrollment_pct": Threshold(warn=95, breach=90, direction="lower_is_worse"),
    "entra_privileged_no_mfa_count": Threshold(warn=None, breach=1),
    "entra_stale_accounts_90d": Threshold(warn=1, breach=25),
    "entra_ca_coverage_gaps": Threshold(warn=None, breach=1),
    "entra_ca_coverage_gaps_exact": Threshold(warn=None, breach=1),
    "entra_guest_account_count": Threshold(warn=100, breach=500),
    "entra_failed_signins_24h": Threshold(warn=100, breach=1000),
    "entra_priv_role_changes_24h": Threshold(warn=1, breach=5),
}


def status(value: float | None, threshold: Threshold) -> Status:
    """Classify `value` as ok, warn or breach.

    A null value (docs/kri.md: `entra_mfa_enrollment_pct` with no enabled members) is
    `warn`: nothing could be measured, which needs a look but is not a measured breach.
    """
    if value is None:
        return "warn"

    def reached(limit: float | None) -> bool:
        if limit is None:
            return False
        if threshold.direction == "lower_is_worse":
            return value < limit
        return value >= limit

    if reached(threshold.breach):
        return "breach"
    if reached(threshold.warn):
        return "warn"
    return "ok"


def merge_thresholds(
    overrides: Mapping[str, Mapping[str, Any]] | None,
    base: Mapping[str, Threshold] = DEFAULT_THRESHOLDS,
) -> dict[str, Threshold]:
    """Apply overrides given as `{slug: {"warn": x, "breach": y}}` to `base`.

    A key left out keeps its base value; an explicit `None` switches that level off.
    Unknown slugs or keys, non-numbers and an inverted warn/breach order raise
    ConfigurationError naming the key.
    """
    merged = dict(base)
    for slug, levels in (overrides or {}).items():
        if slug not in merged:
            raise ConfigurationError(
                f"Unknown KRI {slug!r} in thresholds.",
                f"Use one of: {', '.join(sorted(merged))}.",
            )
        if not isinstance(levels, Mapping):
            raise ConfigurationError(
                f"thresholds.{slug} must be a table like {{ warn = 1, breach = 5 }}.",
            )
        unknown = set(levels) - {"warn", "breach"}
        if unknown:
            raise ConfigurationError(
                f"thresholds.{slug} has unknown key(s) {', '.join(sorted(unknown))}.",
                "Only warn and breach can be set.",
            )
        changes = {key: _number(f"thresholds.{slug}.{key}", v) for key, v in levels.items()}
        threshold = replace(merged[slug], **changes)
        _check_order(slug, threshold)
        merged[slug] = threshold
    return merged


def _number(key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{key} must be a number, not {value!r}.")
    return value


def _check_order(slug: str, threshold: Threshold) -> None:
    warn, breach = threshold.warn, threshold.breach
    if warn is None or breach is None:
        return
    if threshold.direction == "higher_is_worse" and warn > breach:
        raise ConfigurationError(
            f"thresholds.{slug}: warn ({warn}) is above breach ({breach}).",
            "Higher values are worse for this KRI: set warn <= breach.",
        )
    if threshold.direction == "lower_is_worse" and warn < breach:
        raise ConfigurationError(
            f"thresholds.{slug}: warn ({warn}) is below breach ({breach}).",
            "Lower values are worse for this KRI: set warn >= breach.",
        )
