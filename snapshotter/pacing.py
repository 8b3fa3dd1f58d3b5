"""Client-side pacing: stay inside Graph's documented request budgets instead of
running into 429s (each of which costs a round trip and a Retry-After wait).

Budgets per docs/graph-behaviour.md: the audit logs (signIns, directoryAudits) share
5 requests per 10 s per app and tenant; Conditional Access allows 1 request/s.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


class Slot:
    """When one request counts against a budget: its send time until `settle()`."""

    def __init__(self, at: float) -> None:
        self.at = at


@dataclass
class Budget:
    """At most `requests` requests in any `seconds`-long window (a sliding window).

    Graph counts a request when it arrives, a little after we send it; so a
    slot is settled to the time its response came back, which is never earlier
    than Graph's count and keeps the window edge on the safe side.
    """

    requests: int
    seconds: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _slots: deque[Slot] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self) -> tuple[Slot, float]:
        """Wait until one more request fits; return its slot and how long we waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                # Settling moves a slot later, so the oldest slot need not be the first.
                self._slots = deque(s for s in self._slots if now - s.at < self.seconds)
                if len(self._slots) < self.requests:
                    slot = Slot(now)
                    self._slots.append(slot)
                    return slot, waited
                delay = max(self.seconds - (now - min(s.at for s in self._slots)), 0.001)
            self.sleep(delay)
            waited += delay

    def settle(self, slot: Slot) -> None:
        """The response to `slot`'s request has arrived: count the request from now."""
        with self._lock:
            slot.at = self.clock()


def graph_budgets() -> dict[str, Budget]:
    """Path prefix (under the Graph root) -> its budget; fresh per run."""
    audit_logs = Budget(5, 10.0)
    return {
        "/auditLogs/": audit_logs,
        "/identity/conditionalAccess/": Budget(1, 1.0),
    }
