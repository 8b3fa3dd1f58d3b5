"""The tenant lock of an object-store root: a lease object that expires unless renewed.

A store has no hard links and no process to ask whether a holder still runs,
so the lock there is a lease (docs/object-storage.md, "The tenant lease"):
`ROOT/<tenant>/.lock` holds its holder and when it `expires`; the holder
rewrites it every third of its duration while it works, and deletes it when
done. Every change is conditional, so the store decides who wins a race:

- `create` writes only if nothing is there (S3 `If-None-Match: *`);
- `renew` rewrites and `remove_if` deletes only while the lease is still the
  one that was read (S3 `If-Match` on its ETag; each lease holds a random
  token, so two leases never share an ETag).

Of several runs taking over the same expired lease, exactly one deletes it
(the others' `If-Match` fails), then exactly one creates the new one.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any

from entra_kri.errors import ConfigurationError
from entra_kri.lock_store import LockState, LockStore
from entra_kri.snapshot.object_storage import ObjectStorage, key_of
from entra_kri.snapshot.storage import Storage

LEASE_SECONDS = 600
"""How long a lease lasts unless renewed: a run killed outright blocks its tenant this long."""

# The answers of a conditional request whose condition did not hold: the object changed
# (412), or S3 saw a concurrent conditional write to it (409: try again).
_CONDITION_FAILED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


def lease_store(storage: Storage, path: PurePath,
                seconds: float = LEASE_SECONDS) -> LockStore:
    """The lease at `path` in the object store `storage`.

    ConfigurationError for a store whose conditional writes entra-kri does not use yet.
    """
    if isinstance(storage, ObjectStorage) and storage.scheme == "s3":
        return S3Lease(storage, path, seconds)
    raise ConfigurationError(
        f"{path}: entra-kri cannot lock a tenant in this store (it needs conditional "
        "writes, which it uses on S3 only so far), and capturing without the lock could "
        "let two runs write the same tenant at once.",
        "Write snapshots to a local directory or an s3:// root (docs/object-storage.md, "
        "\"The tenant lease\").")


class S3Lease:
    """A lease as an S3 object, changed only with conditional requests."""

    def __init__(self, storage: ObjectStorage, path: PurePath, seconds: float) -> None:
        self.fs = storage.fs
        self.bucket, _, self.key = key_of(path).partition("/")
        self.where = str(path)
        self.seconds = seconds
        self.renew_every = seconds / 3

    def create(self, holder: Mapping[str, Any]) -> bool:
        try:
            self._call("put_object", Body=self._body(holder), IfNoneMatch="*")
        except FileExistsError:
            return False
        except OSError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def read(self) -> LockState | None:
        try:
            response, content = asyncio.run_coroutine_threadsafe(
                self._get(), self.fs.loop).result()
        except FileNotFoundError:
            return None
        try:
            holder = json.loads(content)
        except ValueError:
            holder = None
        age = time.time() - response["LastModified"].timestamp()
        return LockState(holder if isinstance(holder, dict) else None, age, response["ETag"])

    def remove_if(self, seen: LockState) -> bool:
        try:
            self._call("delete_object", IfMatch=seen.identity)
        except FileNotFoundError:
            return False
        except OSError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def renew(self, seen: LockState, holder: Mapping[str, Any]) -> LockState | None:
        body = self._body(holder)
        try:
            response = self._call("put_object", Body=body, IfMatch=seen.identity)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if _condition_failed(exc):
                return None
            raise
        return LockState(json.loads(body), 0.0, response["ETag"])

    def _body(self, holder: Mapping[str, Any]) -> bytes:
        # Rounded up to the second it is written with: never shorter than asked.
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(
            seconds=math.ceil(self.seconds) + 1)
        return json.dumps({**holder, "expires": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "lease_seconds": self.seconds}).encode()

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """One S3 request on the lease's key; s3fs turns its errors into OSError."""
        return self.fs.call_s3(method, Bucket=self.bucket, Key=self.key, **kwargs)

    async def _get(self) -> tuple[dict[str, Any], bytes]:
        """The lease's content with the ETag and time of that same version."""
        response = await self.fs._call_s3("get_object", Bucket=self.bucket, Key=self.key)
        try:
            return response, await response["Body"].read()
        finally:
            response["Body"].close()


def _condition_failed(exc: OSError) -> bool:
    """Whether s3fs's `exc` is S3 saying the request's condition did not hold."""
    response = getattr(exc.__cause__, "response", None) or {}
    return response.get("Error", {}).get("Code") in _CONDITION_FAILED
