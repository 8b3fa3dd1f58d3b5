"""Client-side pacing: stay inside Graph's documented request budgets instead of
running into 429s (each of which costs a round trip and a Retry-After wait).

Budgets per graph-facts.md: the audit logs (signIns, directoryAudits) share
5 requests per 10 s per app and tenant; Conditional Access allows 1 request/s.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Budget:
    """At most `requests` requests in any `seconds`-long window (a sliding window)."""

    requests: int
    seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _sent: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> float:
        """Wait until one more request fits the budget; return how long we waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                while self._sent and now - self._sent[0] >= self.seconds:
                    self._sent.popleft()
                if len(self._sent) < self.requests:
                    self._sent.append(now)
                    return waited
                delay = self.seconds - (now - self._sent[0])
            self.sleep(delay)
            waited += delay


def graph_budgets() -> dict[str, Budget]:
    """Path prefix (under the Graph root) -> its budget; fresh per run."""
    audit_logs = Budget(5, 10.0)
    return {
        "/auditLogs/": audit_logs,
        "/identity/conditionalAccess/": Budget(1, 1.0),
    }
