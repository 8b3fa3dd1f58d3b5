"""Retention for compliance: how long a snapshot must not be removed.

`retention_days` and `retention_mode` in the configuration give a `Retention`
(docs/configuration.md, "Retention"). On an S3 root every object of a snapshot
is written with S3 Object Lock in that mode until `days` after it was written
(`s3_object_lock`, docs/object-storage.md, "Retention (S3 Object Lock)"); on
every root `prune` keeps a snapshot until `days` after it was captured (`until`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

RETENTION_MODES = ("governance", "compliance")
MAX_RETENTION_DAYS = 36500  # S3 Object Lock's limit: 100 years


@dataclass(frozen=True)
class Retention:
    """Keep every snapshot `days` days; `mode` says who may lift an object store's lock
    earlier: governance, a user allowed to bypass it; compliance, nobody."""

    days: int
    mode: str

    def until(self, start: datetime) -> datetime:
        """When something captured or written at `start` leaves retention."""
        return start + timedelta(days=self.days)

    def describe(self) -> str:
        return f"retention_days = {self.days}, {self.mode} mode"

    def s3_object_lock(self, now: datetime | None = None) -> dict[str, Any]:
        """The PutObject / CreateMultipartUpload arguments locking an object written now."""
        return {"ObjectLockMode": self.mode.upper(),
                "ObjectLockRetainUntilDate": self.until(now or datetime.now(UTC))}
