"""Graph's documented request budgets, for the benchmark (`bench/`). Off unless passed in.

FakeGraph(tenant, rate_limits=graph_rate_limits(users=...)) answers a Graph request
that does not fit a budget with 429 TooManyRequests, the way Graph does (learn.microsoft.com,
"Microsoft Graph service-specific throttling limits"; docs/graph-behaviour.md):

- the audit logs (signIns, directoryAudits) share 5 requests per 10 s per app and tenant;
- Conditional Access: 1 request per second per tenant, 429s without Retry-After;
- optionally the directory's resource units per 10 s per app and tenant (3,500 / 5,000 /
  8,000 for tenants under 50 / up to 500 / over 500 users), each request costing the
  documented units (GET users 2, GET groups/{id}/transitiveMembers 5, anything else 1;
  `$select` -1, `$expand` +1, `$top` under 20 -1; never below 1).

A budget is a sliding window over arrival times: a request is admitted when what was
admitted in the last `seconds`, plus its cost, fits the capacity. Refused requests are not
counted, so a client that waits as told gets through. The fake serves one tenant and one
app, so "per app and tenant" is simply per `RateLimits`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from . import errors
from .injection import Fault, matches

Query = Sequence[tuple[str, str]]

AUDIT_LOG_PREFIXES = ("/auditLogs/signIns", "/auditLogs/directoryAudits")
CONDITIONAL_ACCESS_PREFIXES = ("/identity/conditionalAccess/",)
DIRECTORY_PREFIXES = (
    "/users", "/groups", "/directoryRoles", "/directoryObjects", "/organization",
    "/servicePrincipals", "/applications", "/policies/",
)
_UNIT_COSTS = {"users": 2, "groups/*/transitivemembers": 5, "groups/*/members": 3}


def one_request(path: str, query: Query) -> int:
    return 1


def directory_units(path: str, query: Query) -> int:
    """The documented resource-unit cost of a directory GET."""
    parts = [p for p in path.lower().split("/") if p and p != "v1.0"]
    shape = "/".join("*" if 0 < i < len(parts) - 1 else p for i, p in enumerate(parts))
    cost = _UNIT_COSTS.get(shape, 1)
    options = {key.lower(): value for key, value in query}
    if "$select" in options:
        cost -= 1
    if "$expand" in options:
        cost += 1
    top = options.get("$top", "")
    if top.isdigit() and int(top) < 20:
        cost -= 1
    return max(cost, 1)


@dataclass
class Budget:
    """At most `capacity` units admitted in any `seconds`-long window, for matching paths."""

    name: str
    prefixes: tuple[str, ...]
    capacity: int
    seconds: float
    retry_after: bool = True
    cost: Callable[[str, Query], int] = one_request
    _admitted: deque[tuple[float, int]] = field(default_factory=deque)

    def applies_to(self, path: str) -> bool:
        return any(matches(path, prefix) for prefix in self.prefixes)

    def wait_for(self, units: int, now: float) -> float:
        """Seconds until `units` more fit (0 if they fit now); drops expired entries."""
        while self._admitted and now - self._admitted[0][0] >= self.seconds:
            self._admitted.popleft()
        excess = sum(cost for _, cost in self._admitted) + units - self.capacity
        if excess <= 0:
            return 0.0
        for admitted_at, cost in self._admitted:
            excess -= cost
            if excess <= 0:
                return admitted_at + self.seconds - now
        return self.seconds  # more than the whole capacity: it never fits

    def admit(self, units: int, now: float) -> None:
        self._admitted.append((now, units))

    def reset(self) -> None:
        self._admitted.clear()


class RateLimits:
    """The budgets a FakeGraph enforces, and how often each one refused a request."""

    def __init__(self, budgets: Sequence[Budget],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.budgets = tuple(budgets)
        self.throttled: Counter[str] = Counter()
        self._clock = clock
        self._lock = threading.Lock()

    def admit(self, path: str, query: Query) -> Fault | None:
        """None if the request fits every budget that applies (and is counted), else a 429."""
        with self._lock:
            now = self._clock()
            applicable = [(b, b.cost(path, query)) for b in self.budgets if b.applies_to(path)]
            for budget, units in applicable:
                wait = budget.wait_for(units, now)
                if wait > 0:
                    self.throttled[budget.name] += 1
                    retry_after = str(max(1, math.ceil(wait))) if budget.retry_after else None
                    return Fault(429, *errors.TOO_MANY_REQUESTS, retry_after)
            for budget, units in applicable:
                budget.admit(units, now)
            return None

    def reset(self) -> None:
        """Forget what was admitted and refused (e.g. after a warm-up)."""
        with self._lock:
            for budget in self.budgets:
                budget.reset()
            self.throttled.clear()


def directory_unit_capacity(users: int) -> int:
    """Resource units per 10 s for an app in a tenant of `users` users."""
    if users < 50:
        return 3500
    return 5000 if users <= 500 else 8000


def graph_rate_limits(*, users: int, directory: bool = False,
                      clock: Callable[[], float] = time.monotonic) -> RateLimits:
    """Graph's budgets for a tenant of `users` users; `directory` adds the resource units."""
    budgets = [
        Budget("audit_logs", AUDIT_LOG_PREFIXES, 5, 10.0),
        Budget("conditional_access", CONDITIONAL_ACCESS_PREFIXES, 1, 1.0, retry_after=False),
    ]
    if directory:
        budgets.append(Budget("directory_units", DIRECTORY_PREFIXES,
                              directory_unit_capacity(users), 10.0, cost=directory_units))
    return RateLimits(budgets, clock)
