"""S3 Object Lock: the bucket check before writing under retention, and an object's hold.

docs/object-storage.md, "Retention (S3 Object Lock)". Writing the lock itself is
`ObjectStorage`'s (every object it writes under a `Retention`); this module asks
S3 whether the bucket can take it, and what holds an object already written.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import Any

from entra_kri.errors import ConfigurationError
from entra_kri.snapshot.storage import Hold


def s3_error_code(exc: BaseException) -> str | None:
    """The S3 error code behind an OSError that s3fs raised, if S3 answered one."""
    response = getattr(exc.__cause__, "response", None) or {}
    return response.get("Error", {}).get("Code")


def check_object_lock(fs: Any, root: PurePath, bucket: str) -> None:
    """ConfigurationError unless `bucket` has S3 Object Lock enabled (and says so)."""
    try:
        answer = fs.call_s3("get_object_lock_configuration", Bucket=bucket)
    except OSError as exc:
        code = s3_error_code(exc)
        if code != "ObjectLockConfigurationNotFoundError":
            raise ConfigurationError(
                f"{root}: S3 did not say whether the bucket {bucket} has Object Lock enabled "
                f"({code or type(exc).__name__}), and the configuration's retention_days "
                "needs it: nothing was written.",
                "Let this identity read it (s3:GetBucketObjectLockConfiguration) and lock "
                "objects (s3:PutObjectRetention), or remove retention_days.") from exc
        answer = {}
    if answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
        raise ConfigurationError(
            f"{root}: the bucket {bucket} does not have S3 Object Lock enabled, so the "
            "configuration's retention_days cannot be kept there: nothing was written.",
            "Enable Object Lock on the bucket (it needs versioning; `aws s3api "
            "put-object-lock-configuration --bucket BUCKET --object-lock-configuration "
            "ObjectLockEnabled=Enabled`), write to a bucket created with Object Lock, or "
            "remove retention_days and retention_mode from the configuration.")


def s3_hold(fs: Any, bucket: str, key: str, now: datetime) -> Hold | None:
    """What S3 holds the object `key` under at `now`: a legal hold, or a retain-until date
    still to come; None when S3 would let it be deleted."""
    try:
        head = fs.call_s3("head_object", Bucket=bucket, Key=key)
    except FileNotFoundError:
        return None
    if head.get("ObjectLockLegalHoldStatus") == "ON":
        return Hold(None, "an S3 legal hold")
    until = head.get("ObjectLockRetainUntilDate")
    if isinstance(until, datetime) and until > now:
        return Hold(until, f"S3 Object Lock ({head.get('ObjectLockMode', '?')})")
    return None
