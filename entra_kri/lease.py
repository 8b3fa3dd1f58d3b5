"""The tenant lock of an object-store root: a lease object that expires unless renewed.

A store has no hard links and no process to ask whether a holder still runs,
so the lock there is a lease (docs/object-storage.md, "The tenant lease"):
`ROOT/<tenant>/.lock` holds its holder and when it `expires`; the holder
rewrites it every third of its duration while it works, and deletes it when
done. Every change is conditional, so the store decides who wins a race:

- `create` writes only if nothing is there (`If-None-Match: *`; on GCS
  `ifGenerationMatch=0`);
- `renew` rewrites and `remove_if` deletes only while the lease is still the
  one that was read (`If-Match` on its ETag; each lease holds a random token,
  so two leases never share an ETag. On GCS `ifGenerationMatch` on its
  generation, which every write makes new).

S3, Azure Blob Storage and Google Cloud Storage answer these conditions
atomically; an adapter for each (`_S3Object`, `_AzureBlob`, `_GcsObject`) gives
a `Lease` the four operations it needs, the lease's identity being its ETag
(its generation on GCS).

Of several runs taking over the same expired lease, exactly one deletes it
(the others' `If-Match` fails), then exactly one creates the new one.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import Any

from entra_kri.errors import StoreError
from entra_kri.lock_store import UTC_TEXT, LockState, LockStore
from entra_kri.snapshot.object_lock import s3_error_code
from entra_kri.snapshot.object_storage import ObjectStorage, key_of
from entra_kri.snapshot.roots import STORES

LEASE_SECONDS = 600
"""How long a lease lasts unless renewed: a run killed outright blocks its tenant this long."""

# The answers of a conditional request whose condition did not hold: the object changed
# (412), or S3 saw a concurrent conditional write to it (409: try again).
_CONDITION_FAILED = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


def lease_store(storage: ObjectStorage, path: PurePath,
                seconds: float = LEASE_SECONDS) -> LockStore:
    """The lease at `path` in the object store `storage`."""
    adapter = _ADAPTERS[STORES[storage.scheme].extra]
    return Lease(adapter(storage.fs, key_of(path)), str(path), seconds)


@dataclass(frozen=True)
class _Version:
    """An object as read: its bytes, its identity (ETag, or GCS's generation) and when it
    was written (epoch seconds)."""

    content: bytes
    etag: str
    modified: float


class Lease:
    """A lease as an object of a store, changed only with conditional requests."""

    def __init__(self, blob: _S3Object | _AzureBlob | _GcsObject, where: str,
                 seconds: float) -> None:
        self.blob = blob
        self.where = where
        self.seconds = seconds
        self.renew_every = seconds / 3

    def create(self, holder: Mapping[str, Any]) -> LockState | None:
        body = self._body(holder)
        try:
            identity = self.blob.create(body)
        except FileNotFoundError as exc:  # s3fs's and gcsfs's answer when there is no bucket
            raise StoreError(
                f"{self.where}: the lease cannot be written: there is no such bucket (or "
                "these credentials may not see it).",
                "Check the URL, and the endpoint and account the credentials are for, or "
                "create the bucket.") from exc
        return None if identity is None else LockState(json.loads(body), 0.0, identity)

    def read(self) -> LockState | None:
        version = self.blob.get()
        if version is None:
            return None
        try:
            holder = json.loads(version.content)
        except ValueError:
            holder = None
        return LockState(holder if isinstance(holder, dict) else None,
                         time.time() - version.modified, version.etag)

    def remove_if(self, seen: LockState) -> bool:
        return self.blob.delete_if(seen.identity)

    def renew(self, seen: LockState, holder: Mapping[str, Any]) -> LockState | None:
        body = self._body(holder)
        etag = self.blob.replace_if(seen.identity, body)
        return None if etag is None else LockState(json.loads(body), 0.0, etag)

    def _body(self, holder: Mapping[str, Any]) -> bytes:
        # Rounded up to the second it is written with: never shorter than asked.
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(
            seconds=math.ceil(self.seconds) + 1)
        return json.dumps({**holder, "expires": expires.strftime(UTC_TEXT),
                           "lease_seconds": self.seconds}).encode()


def _run(fs: Any, coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run `coroutine` on the event loop of the async fsspec filesystem `fs`."""
    return asyncio.run_coroutine_threadsafe(coroutine, fs.loop).result()


class _BucketObject:
    """An object of a bucket, read through an async fsspec filesystem (s3fs, gcsfs) that
    raises FileNotFoundError when there is none."""

    def __init__(self, fs: Any, key: str) -> None:
        self.fs = fs
        self.bucket, _, self.key = key.partition("/")

    def get(self) -> _Version | None:
        try:
            return _run(self.fs, self._get())
        except FileNotFoundError:
            return None

    async def _get(self) -> _Version:
        """The object's content with the identity and time of that same version."""
        raise NotImplementedError


class _S3Object(_BucketObject):
    """An S3 object through s3fs, which turns S3's errors into OSError."""

    def create(self, data: bytes) -> str | None:
        # No object where one is required cannot happen here: a 404 is a missing bucket.
        response = self._conditional("put_object", FileExistsError, Body=data, IfNoneMatch="*")
        return None if response is None else response["ETag"]

    def replace_if(self, etag: str, data: bytes) -> str | None:
        response = self._conditional("put_object", FileNotFoundError, Body=data, IfMatch=etag)
        return None if response is None else response["ETag"]

    def delete_if(self, etag: str) -> bool:
        return self._conditional("delete_object", FileNotFoundError, IfMatch=etag) is not None

    def _conditional(self, method: str, refused: type[OSError],
                     **kwargs: Any) -> dict[str, Any] | None:
        """S3's answer to a conditional request; None if its condition did not hold (a
        412 or 409, or s3fs's `refused`: FileExistsError or FileNotFoundError)."""
        try:
            return self.fs.call_s3(method, Bucket=self.bucket, Key=self.key, **kwargs)
        except refused:
            return None
        except OSError as exc:
            if s3_error_code(exc) in _CONDITION_FAILED:
                return None
            raise

    async def _get(self) -> _Version:
        """The object's content with the ETag and time of that same version."""
        response = await self.fs._call_s3("get_object", Bucket=self.bucket, Key=self.key)
        try:
            content = await response["Body"].read()
        finally:
            response["Body"].close()
        return _Version(content, response["ETag"], response["LastModified"].timestamp())


class _AzureBlob:
    """An Azure blob through adlfs's Azure SDK client. The SDK's errors carry the HTTP
    status: 404 no blob, 409 one exists (`If-None-Match: *`), 412 the ETag changed."""

    def __init__(self, fs: Any, key: str) -> None:
        self.fs = fs
        self.container, _, self.blob = key.partition("/")

    def get(self) -> _Version | None:
        return self._conditional(self._get(), {404})

    def create(self, data: bytes) -> str | None:
        # A 404 here is a missing container, not a condition: raised.
        answer = self._conditional(self._upload(data, overwrite=False), {409, 412})
        return None if answer is None else answer["etag"]

    def replace_if(self, etag: str, data: bytes) -> str | None:
        answer = self._conditional(self._upload(data, overwrite=True, if_match=etag),
                                   {404, 412})
        return None if answer is None else answer["etag"]

    def delete_if(self, etag: str) -> bool:
        return self._conditional(self._delete(etag), {404, 412}) is not None

    def _conditional(self, coroutine: Coroutine[Any, Any, Any], refused: set[int]) -> Any:
        """The SDK's answer; None if it refused with one of the `refused` statuses."""
        try:
            return _run(self.fs, coroutine)
        except Exception as exc:  # the SDK's HttpResponseError, not imported: an extra
            if getattr(exc, "status_code", None) in refused:
                return None
            raise

    async def _get(self) -> _Version:
        async with self.fs.service_client.get_blob_client(self.container, self.blob) as blob:
            download = await blob.download_blob()
            content = await download.readall()
        return _Version(content, download.properties.etag,
                        download.properties.last_modified.timestamp())

    async def _upload(self, data: bytes, **conditions: Any) -> dict[str, Any]:
        async with self.fs.service_client.get_blob_client(self.container, self.blob) as blob:
            return await blob.upload_blob(data, **conditions)

    async def _delete(self, etag: str) -> bool:
        async with self.fs.service_client.get_blob_client(self.container, self.blob) as blob:
            await blob.delete_blob(if_match=etag)
        return True


class _GcsObject(_BucketObject):
    """A GCS object through gcsfs's JSON API calls. gcsfs turns GCS's 412 (a precondition
    that did not hold) into FileExistsError and its 404 into FileNotFoundError; the
    object's identity is its generation, new at every write."""

    def create(self, data: bytes) -> str | None:
        # A 404 here is a missing bucket, not a condition: raised.
        written = self._upload(data, "0")
        return None if written is None else str(written["generation"])

    def replace_if(self, generation: str, data: bytes) -> str | None:
        written = self._upload(data, generation)
        return None if written is None else str(written["generation"])

    def delete_if(self, generation: str) -> bool:
        try:
            self.fs.call("DELETE", "b/{}/o/{}", self.bucket, self.key,
                         ifGenerationMatch=generation)
        except (FileExistsError, FileNotFoundError):  # changed (412), or gone (404)
            return False
        return True

    def _upload(self, data: bytes, generation: str) -> dict[str, Any] | None:
        """The object written by a media upload if its generation is `generation` ("0":
        none exists); None if GCS refused because it is not (412)."""
        try:
            return self.fs.call(
                "POST", f"{self.fs._location}/upload/storage/v1/b/{{}}/o", self.bucket,
                uploadType="media", name=self.key, ifGenerationMatch=generation,
                headers={"Content-Type": "application/json"}, data=data, json_out=True)
        except FileExistsError:
            return None

    async def _get(self) -> _Version:
        """The object's content with the generation and time of that same version: its
        metadata, then its data only if still of that generation (GCS's documented way to
        read the two in successive requests); read again if it changed in between."""
        while True:
            found = await self.fs._call("GET", "b/{}/o/{}", self.bucket, self.key,
                                        json_out=True)
            try:
                _, content = await self.fs._call("GET", "b/{}/o/{}", self.bucket, self.key,
                                                 alt="media",
                                                 ifGenerationMatch=found["generation"])
            except FileExistsError:  # rewritten between the two requests
                continue
            return _Version(content, str(found["generation"]),
                            self.fs._parse_timestamp(found["updated"]).timestamp())


_ADAPTERS = {"s3": _S3Object, "azure": _AzureBlob, "gcs": _GcsObject}
"""The lease's object in each store, by the store's extra (roots.STORES)."""
