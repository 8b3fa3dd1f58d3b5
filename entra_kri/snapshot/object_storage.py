"""Snapshots in an object store (S3, Azure Blob, GCS): `Storage` over an fsspec filesystem.

A path in a store is an `ObjectPath`: a `PurePosixPath` of the key with the
bucket (or container) first, `bkt/prefix/<tenant>/<snapshot>/users.ndjson.gz`,
shown with its scheme (`s3://bkt/...`) so that every message names the object
as the user wrote it. fsspec accepts either spelling.

An object store has no directories and no links: a "directory" is a prefix
that some key continues, and `entry` never reports a symlink. Nor can it rename,
so a snapshot is committed by its manifest, written last and create-only
(`commits_by_manifest`; docs/snapshot-format.md, "How a snapshot is committed").
Every object is written create-only: fsspec's mode "xb" and `mode="create"`, which
s3fs sends as `If-None-Match: *` on the PUT or on completing a multipart upload.

DuckDB reads a verified object through `DuckDBFileSystem`, registered on the
connection under a protocol name of our own (`entra-kri-s3://...`), never
through DuckDB's httpfs or azure extensions: those are downloaded at run time,
which locked-down hosts refuse, and a `s3://` path would make DuckDB autoload
them (docs/object-storage.md, "How DuckDB reads objects").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import PurePath, PurePosixPath
from typing import Any, BinaryIO, ClassVar

import duckdb
from fsspec import AbstractFileSystem

from entra_kri.errors import ConfigurationError, StoreError
from entra_kri.snapshot.blob_immutability import azure_hold, check_version_immutability
from entra_kri.snapshot.cloud_stores import AZURE_SCHEMES
from entra_kri.snapshot.object_lock import check_object_lock, s3_hold
from entra_kri.snapshot.retention import Retention
from entra_kri.snapshot.storage import Entry, Hold, IncompleteUpload
from entra_kri.snapshot.store_errors import gcs_forbidden

DUCKDB_PROTOCOL_PREFIX = "entra-kri-"

# The store libraries' exceptions, by class name so that no library must be imported to
# recognise them: credentials missing or not usable (boto, Azure, Google)...
_NO_CREDENTIALS = frozenset({"NoCredentialsError", "PartialCredentialsError",
                             "CredentialRetrievalError", "ClientAuthenticationError",
                             "DefaultCredentialsError", "RefreshError"})
# ...and the store not reached at all.
_UNREACHABLE = frozenset({"EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                          "HTTPClientError",
                          "ClientConnectorError", "ServerTimeoutError", "ServiceRequestError",
                          "ConnectionError", "TimeoutError", "TransportError"})
# The base classes of the rest of each library's errors.
_STORE_ERROR_BASES = frozenset({"BotoCoreError", "ClientError", "AzureError",
                                "GoogleAuthError", "HttpError"})


class ObjectPath(PurePosixPath):
    """A key in an object store, bucket first, that knows its store (`storage`); `str()`
    gives its URL. Each `ObjectStorage` has its own subclass, so that a path derived
    with `/` or `.parent` keeps both."""

    storage: ClassVar[ObjectStorage]

    def __str__(self) -> str:
        bucket, slash, rest = self.key.partition("/")
        return f"{self.storage.scheme}://{bucket}{self.storage.account_host}{slash}{rest}"

    @property
    def key(self) -> str:
        """The bucket and key, without the scheme (`bkt/prefix/file`)."""
        return super().__str__()


def key_of(path: PurePath) -> str:
    """The bucket and key that `path` names, without any scheme."""
    return path.key if isinstance(path, ObjectPath) else path.as_posix()


class ObjectStorage:
    """`Storage` over the fsspec filesystem `fs` of the store whose URLs start `scheme://`.

    `credential_sources` says where the store's library looks for credentials, for the
    message when it finds none. `account_host` is what the URL gave after the container
    (`@ACCOUNT.dfs.core.windows.net` in an abfs:// URL), shown in every path so that a
    path printed can be given back and names the same account. Every failure of the
    store other than "no such key" while reading is a `StoreError` naming the object,
    the cause and the fix.
    """

    commits_by_manifest = True

    def __init__(self, fs: AbstractFileSystem, scheme: str,
                 retention: Retention | None = None,
                 credential_sources: str = "the environment", account_host: str = "") -> None:
        self.fs = fs
        self.scheme = scheme
        self.retention = retention
        self.credential_sources = credential_sources
        self.account_host = account_host
        self.path_type = type(f"{scheme.capitalize()}Path", (ObjectPath,), {"storage": self})
        self._duckdb_fs = DuckDBFileSystem(fs, DUCKDB_PROTOCOL_PREFIX + scheme)

    def path(self, key: str) -> ObjectPath:
        """The path of `key` (`bkt/prefix/...`, no scheme) in this store."""
        return self.path_type(key)

    def entry(self, path: PurePath) -> Entry | None:
        try:
            with self._reaching(path):
                info = self.fs.info(key_of(path))
        except FileNotFoundError:
            return None
        if info.get("type") == "directory":
            return Entry("directory", 0)
        if info.get("type") == "file":
            return Entry("file", int(info.get("size") or 0), _modified(info))
        return Entry("other", int(info.get("size") or 0))

    def list_dir(self, path: PurePath) -> list[str]:
        key = key_of(path)
        with self._reaching(path):
            children = self.fs.ls(key, detail=False)
        names = (PurePosixPath(child).name for child in children if child.rstrip("/") != key)
        return sorted(name for name in names if name)

    def open_read(self, path: PurePath) -> BinaryIO:
        with self._reaching(path):
            return self.fs.open(key_of(path), "rb")

    def sql_location(self, path: PurePath) -> str:
        return f"{self._duckdb_fs.name}://{key_of(path)}"

    def open_write(self, path: PurePath) -> BinaryIO:
        # Closing commits (a PUT, or completing the multipart upload), create-only.
        return self.fs.open(key_of(path), "xb", **self._object_lock())

    def create_only(self, path: PurePath, data: bytes) -> None:
        self.fs.pipe_file(key_of(path), data, mode="create", **self._object_lock())

    def with_retention(self, retention: Retention, root: PurePath) -> ObjectStorage:
        """This store writing every object under `retention` (S3 Object Lock).
        ConfigurationError, before anything is written, where that cannot be kept: a
        store other than S3 (on Azure, naming what the container lacks), or a bucket
        without Object Lock enabled."""
        if self.scheme in AZURE_SCHEMES:
            check_version_immutability(self.fs, root, key_of(root).partition("/")[0])
        if self.scheme != "s3":
            raise ConfigurationError(
                f"{root}: retention_days is kept with S3 Object Lock, and entra-kri writes no "
                f"retention to {self.scheme}:// stores: nothing was written.",
                "Remove retention_days and retention_mode from the configuration and give "
                "the container or bucket a retention policy of its own, or write to an s3:// "
                "root (docs/object-storage.md, \"Retention (S3 Object Lock)\").")
        check_object_lock(self.fs, root, key_of(root).partition("/")[0])
        return ObjectStorage(self.fs, self.scheme, retention, self.credential_sources,
                             self.account_host)

    def held(self, path: PurePath, now: datetime) -> Hold | None:
        bucket, _, key = key_of(path).partition("/")
        if self.scheme == "s3":
            return s3_hold(self.fs, bucket, key, now)
        if self.scheme in AZURE_SCHEMES:
            return azure_hold(self.fs, bucket, key, now)
        return None

    def _object_lock(self) -> dict[str, Any]:
        """The arguments that lock an object written now under the retention, if any."""
        return self.retention.s3_object_lock() if self.retention else {}

    def remove(self, path: PurePath) -> None:
        found = self.entry(path)
        if found is not None and found.kind != "directory":  # a prefix goes with its keys
            self.fs.rm_file(key_of(path))

    def incomplete_uploads(self, path: PurePath) -> list[IncompleteUpload]:
        """S3's multipart uploads under `path` never completed nor aborted. (Azure drops
        uncommitted blocks after a week, and GCS resumable uploads expire after a week,
        by themselves: neither lists them, so there are none to abort.)"""
        if self.scheme != "s3":
            return []
        bucket, _, prefix = key_of(path).partition("/")
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        found = []
        pages = self.fs.call_s3  # one request per 1,000 uploads
        marker: dict[str, str] = {}
        while True:
            page = pages("list_multipart_uploads", Bucket=bucket, Prefix=prefix, **marker)
            found += [IncompleteUpload(self.path(f"{bucket}/{upload['Key']}"),
                                       upload["Initiated"], upload["UploadId"])
                      for upload in page.get("Uploads", ())]
            if not page.get("IsTruncated"):
                return found
            marker = {"KeyMarker": page["NextKeyMarker"],
                      "UploadIdMarker": page["NextUploadIdMarker"]}

    def abort_upload(self, upload: IncompleteUpload) -> None:
        bucket, _, key = key_of(upload.path).partition("/")
        self.fs.call_s3("abort_multipart_upload", Bucket=bucket, Key=key,
                        UploadId=upload.upload_id)

    def attach_to(self, con: duckdb.DuckDBPyConnection) -> None:
        # Known extensions (httpfs for s3://, azure for az://) are never loaded behind
        # our back: this connection reads objects through the filesystem below only.
        con.execute("set autoinstall_known_extensions = false")
        con.execute("set autoload_known_extensions = false")
        if not con.filesystem_is_registered(self._duckdb_fs.name):
            con.register_filesystem(self._duckdb_fs)

    @contextmanager
    def _reaching(self, path: PurePath) -> Iterator[None]:
        """Turn the store's failures inside the block into a `StoreError` (a missing key
        stays FileNotFoundError, as on disk)."""
        try:
            yield
        except FileNotFoundError:
            raise
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            raise self.error(exc, path) from exc

    def error(self, exc: Exception, path: PurePath) -> StoreError:
        """The one-paragraph error for the store's `exc` while reaching `path`.

        Built from the exception's class, never from its text, which may quote an
        endpoint with credentials in it or a signed request.
        """
        names = {cls.__name__ for cls in type(exc).__mro__}
        if names & _NO_CREDENTIALS:
            return StoreError(f"{path}: no usable credentials for {self.scheme}:// were found.",
                              f"Give them as the store's tools expect: {self.credential_sources} "
                              "(docs/object-storage.md); never on the command line.")
        if isinstance(exc, PermissionError) or gcs_forbidden(exc):
            return StoreError(f"{path}: access denied by the store.",
                              "Grant this identity read access to the bucket or container "
                              "(list and get), or use credentials that have it "
                              f"({self.credential_sources}).")
        if names & _UNREACHABLE or isinstance(exc, ConnectionError | TimeoutError):
            return StoreError(f"{path}: the store could not be reached ({type(exc).__name__}).",
                              "Check the network, and the endpoint the store's settings name "
                              "(docs/object-storage.md, \"Credentials and endpoints\"), then "
                              "run the command again.")
        return StoreError(f"{path}: the store answered with an error ({type(exc).__name__}).",
                          "Check that the bucket or container exists and that this identity "
                          "may read it, then run the command again.")


def is_store_failure(exc: BaseException) -> bool:
    """Whether `exc` is the store (or the way to it) failing, rather than a bug."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return isinstance(exc, OSError) or bool(names & (_NO_CREDENTIALS | _UNREACHABLE
                                                     | _STORE_ERROR_BASES))


def _modified(info: dict[str, Any]) -> float | None:
    """When an object was last written, from fsspec's `info` (each library names it: gcsfs
    as `mtime`, its `updated` being GCS's text)."""
    moment = info.get("LastModified") or info.get("last_modified") or info.get("mtime")
    if isinstance(moment, datetime):
        return moment.timestamp()
    return None


class DuckDBFileSystem(AbstractFileSystem):
    """What DuckDB sees of a store: `<name>://bkt/key` opens that one object for reading.

    Reads only, and no pattern matching: `glob` returns the path it is given when that
    object exists, so a key holding `*` or `[` names itself and nothing else. DuckDB
    asks for an object's details each time a view naming it is bound (thousands of
    times for the evidence pack's script), so they are asked of the store once and
    remembered for the life of this filesystem, that is of one command.
    """

    cachable = False

    def __init__(self, inner: AbstractFileSystem, name: str) -> None:
        super().__init__()
        self.inner = inner
        self.name = name
        self.protocol = (name,)
        self._details: dict[str, dict[str, Any]] = {}

    def _key(self, path: str) -> str:
        return str(path).removeprefix(f"{self.name}://")

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if mode != "rb":
            raise PermissionError(f"{path}: object stores are read-only to DuckDB")
        return self.inner.open(self._key(path), "rb")

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        key = self._key(path)
        if key not in self._details:
            self._details[key] = dict(self.inner.info(key))
        return {**self._details[key], "name": path}

    def exists(self, path: str, **kwargs: Any) -> bool:
        try:
            self.info(path)
        except FileNotFoundError:
            return False
        return True

    def glob(self, path: str, **kwargs: Any) -> list[str]:
        try:
            found = self.info(path)
        except FileNotFoundError:
            return []
        return [path] if found.get("type") == "file" else []

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        raise PermissionError(f"{path}: DuckDB reads named objects only, it lists none")

    def modified(self, path: str) -> Any:
        return self.inner.modified(self._key(path))
