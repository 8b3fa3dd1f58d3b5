"""Fault injection: throttling, transient failures and permanent refusals by path prefix."""

from __future__ import annotations

import threading
from dataclasses import dataclass

GRAPH_PREFIX = "/v1.0"


@dataclass
class Fault:
    """An injected answer: HTTP status, error code, message, optional Retry-After."""

    status: int
    code: str
    message: str
    retry_after: str | None = None


@dataclass
class _Rule:
    prefix: str
    fault: Fault
    remaining: int | None  # None: for ever


def matches(path: str, prefix: str) -> bool:
    """Does `path` start with `prefix`, with or without Graph's `/v1.0`?"""
    path, prefix = path.lower(), prefix.lower()
    if path.startswith(prefix):
        return True
    return path.startswith(GRAPH_PREFIX + "/") and path[len(GRAPH_PREFIX) :].startswith(prefix)


class FaultPlan:
    """The faults still to inject. Counted faults apply before permanent refusals."""

    def __init__(self) -> None:
        self._counted: list[_Rule] = []
        self._permanent: list[_Rule] = []
        self._lock = threading.Lock()

    def add(self, prefix: str, fault: Fault, count: int | None) -> None:
        rule = _Rule(prefix, fault, count)
        with self._lock:
            (self._permanent if count is None else self._counted).append(rule)

    def take_transient(self, path: str) -> Fault | None:
        """The next counted fault for `path`, consuming one of its uses."""
        with self._lock:
            for rule in self._counted:
                if rule.remaining and matches(path, rule.prefix):
                    rule.remaining -= 1
                    return rule.fault
        return None

    def permanent(self, path: str) -> Fault | None:
        """The refusal that applies to `path`, if any."""
        with self._lock:
            for rule in self._permanent:
                if matches(path, rule.prefix):
                    return rule.fault
        return None
