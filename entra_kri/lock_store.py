"""What a tenant lock is, wherever it lives: its state as read, and its store's operations.

`entra_kri.lock` holds the policy (when a lock is stale, how it is taken over,
renewed and released) and the lock file of a local root; `entra_kri.lease` the
lease object of an object-store root. Both stores offer the same operations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

UTC_TEXT = "%Y-%m-%dT%H:%M:%SZ"
"""How a lock writes a moment (its `started`, a lease's `expires`) and the policy reads it."""


@dataclass(frozen=True)
class LockState:
    """A lock as read: its holder (None when empty or unreadable), age and identity."""

    holder: dict[str, Any] | None
    age_seconds: float
    identity: str


class LockStore(Protocol):
    """Where a lock lives (see the module's docstring)."""

    where: str
    """The lock's path or URL, as messages name it."""
    renew_every: float | None
    """Seconds between renewals while the lock is held; None: it never expires."""

    def create(self, holder: Mapping[str, Any]) -> LockState | None:
        """Write the lock unless one exists: the lock as written (no read needed, so a
        holder never fails to know what to release); None if one exists."""

    def read(self) -> LockState | None:
        """The lock as it is now, or None when there is none."""

    def remove_if(self, seen: LockState) -> bool:
        """Remove the lock if it is still `seen`; True for the one caller that removed it."""

    def renew(self, seen: LockState, holder: Mapping[str, Any]) -> LockState | None:
        """Rewrite the lock as `holder` if it is still `seen`: the new state, else None."""
