"""KRI status against thresholds, and threshold overrides from configuration.

The defaults are the registry's (entra_kri/kris.py, docs/kri.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal

from entra_kri.errors import ConfigurationError
from entra_kri.kris import DEFAULT_THRESHOLDS, Threshold

Status = Literal["ok", "warn", "breach"]

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
