"""When to retry a Graph request, and how long to wait first. The only retry policy."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: at most `max_attempts` tries and `max_total_wait` seconds of waiting.

    Waits honour Retry-After when Graph sends one (Conditional Access never
    does); otherwise exponential backoff from `base_delay`, capped at
    `max_delay`, with full jitter so parallel clients do not retry in step.
    """

    max_attempts: int = 6
    max_total_wait: float = 300.0
    base_delay: float = 1.0
    max_delay: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[float, float], float] = field(default=random.uniform, compare=False)

    def delay(self, attempt: int, retry_after: str | None) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 1)."""
        advised = parse_retry_after(retry_after)
        if advised is not None:
            return advised
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self.jitter(ceiling / 2, ceiling)
