"""Where a snapshot root (or a snapshot given to a command) is: local disk or an object store.

`open_root("s3://bkt/prefix")` gives the store's `ObjectStorage` and the path of
`bkt/prefix` in it; anything without a scheme is a local path, read exactly as
before. Each store's library is an optional extra and reads its credentials and
endpoint from that ecosystem's standard sources (AWS_* including
AWS_ENDPOINT_URL; AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_*;
Google's application default credentials): never from the command line, and
never written to a message (docs/object-storage.md).
"""

from __future__ import annotations

import importlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Any

import fsspec

from entra_kri.errors import ConfigurationError, StoreError
from entra_kri.snapshot.cloud_stores import (
    azure_location,
    azure_options,
    credentials_refused,
    gcs_options,
)
from entra_kri.snapshot.object_storage import ObjectPath, ObjectStorage, key_of
from entra_kri.snapshot.retention import Retention
from entra_kri.snapshot.storage import LOCAL, Storage


@dataclass(frozen=True)
class Store:
    """An object store entra-kri reads: the fsspec library that speaks it, its extra, and
    where that library finds credentials."""

    module: str
    extra: str
    protocol: str  # fsspec's name of the filesystem
    credential_sources: str
    filesystem: str = ""  # `module:Class` to use instead of fsspec's default for `protocol`


_AWS = ("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the instance's role; "
        "AWS_ENDPOINT_URL for an endpoint other than AWS")
_AZURE = ("AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT_NAME with "
          "AZURE_STORAGE_ACCOUNT_KEY")
_GOOGLE = "Google's application default credentials (GOOGLE_APPLICATION_CREDENTIALS)"
# adlfs's filesystem with an Azure SDK client that gives up on a silent endpoint in
# seconds (docs/object-storage.md, "When a store does not answer").
_ADLFS = "entra_kri.snapshot.azure_filesystem:AzureFileSystem"
STORES = {
    "s3": Store("s3fs", "s3", "s3", _AWS),
    "az": Store("adlfs", "azure", "az", _AZURE, _ADLFS),
    "abfs": Store("adlfs", "azure", "abfs", _AZURE, _ADLFS),
    "abfss": Store("adlfs", "azure", "abfs", _AZURE, _ADLFS),
    # gcsfs's default adds gRPC calls for zonal buckets; its JSON API filesystem speaks
    # plain HTTPS only (docs/object-storage.md, "Google Cloud Storage"), here with the
    # timeout and tries of "When a store does not answer".
    "gs": Store("gcsfs", "gcs", "gs", _GOOGLE,
                "entra_kri.snapshot.gcs_filesystem:GCSFileSystem"),
}
_URL = re.compile(r"\A([A-Za-z][A-Za-z0-9+.-]*)://(.*)\Z", re.DOTALL)


@dataclass(frozen=True)
class Root:
    """A snapshot root or snapshot: its storage, its path there, and the text the user gave."""

    storage: Storage
    path: PurePath
    text: str

    def retaining(self, retention: Retention | None) -> Root:
        """This root writing every object under `retention` where the store keeps it (S3
        Object Lock; ConfigurationError where it cannot); a local root as it is, where
        `prune` keeps the retention (docs/object-storage.md, "Retention (S3 Object Lock)")."""
        if retention is None or not isinstance(self.storage, ObjectStorage):
            return self
        storage = self.storage.with_retention(retention, self.path)
        return replace(self, storage=storage, path=storage.path(key_of(self.path)))


def is_url(text: str) -> bool:
    """Whether `text` is a URL (`scheme://...`) rather than a local path."""
    return _URL.match(text) is not None


def open_root(text: str | os.PathLike[str]) -> Root:
    """The storage and path of `text`: a local path, or a URL of a supported object store.

    ConfigurationError for an unknown scheme, a URL without a bucket or with credentials
    in it, or a store whose extra is not installed.
    """
    if isinstance(text, os.PathLike):
        return Root(LOCAL, Path(text), os.fspath(text))
    match = _URL.match(text)
    if match is None:
        return Root(LOCAL, Path(text), text)
    scheme, rest = match.group(1).lower(), match.group(2).strip("/")
    store = STORES.get(scheme)
    if store is None:
        raise ConfigurationError(
            f"{text}: entra-kri does not read {scheme}:// URLs.",
            "Give a local directory, or an object store URL starting with "
            + ", ".join(f"{s}://" for s in STORES) + ".")
    if not rest:
        raise ConfigurationError(f"{text}: the URL names no bucket or container.",
                                 f"Write it as {scheme}://BUCKET/PREFIX.")
    options: dict[str, Any] = {}
    account_host = ""  # `@ACCOUNT.dfs.…` of an ADLS URL, kept in every path shown
    if store.extra == "azure" and (location := azure_location(rest)) is not None:
        account_host = "@" + rest.partition("/")[0].partition("@")[2]
        rest, options = location.key, azure_options(location, text)
    elif store.extra == "gcs":
        options = gcs_options()
    if "@" in rest.split("/", 1)[0]:  # user:secret@bucket: never echoed, never used
        raise ConfigurationError(
            f"The {scheme}:// URL holds credentials before its bucket name; entra-kri "
            "takes none from the command line.",
            f"Write it as {scheme}://BUCKET/PREFIX and give the credentials as described "
            "in docs/object-storage.md (environment, profile or role).")
    storage = object_storage(scheme, store, options, text, account_host)
    return Root(storage, storage.path(rest), text)


def object_storage(scheme: str, store: Store, options: dict[str, Any], url: str,
                   account_host: str = "") -> ObjectStorage:
    """The `ObjectStorage` of `scheme://` URLs, its credentials from the environment."""
    try:
        importlib.import_module(store.module)
    except ImportError as exc:
        raise ConfigurationError(
            f"Reading {scheme}:// URLs needs the {store.module} library, which is not "
            "installed.",
            f"Install it with: pip install 'entra-kri[{store.extra}]'.") from exc
    # Fresh listings: the validator must see the store as it is now, never a cached
    # listing from earlier in the same process.
    if store.filesystem:
        module, _, name = store.filesystem.partition(":")
        filesystem = getattr(importlib.import_module(module), name)
    else:
        filesystem = fsspec.get_filesystem_class(store.protocol)
    try:
        fs = filesystem(skip_instance_cache=True, use_listings_cache=False, **options)
    except Exception as exc:
        refused = credentials_refused(store.extra, url, exc)
        if refused is None:
            raise
        raise refused from None
    return ObjectStorage(fs, scheme, credential_sources=store.credential_sources,
                         account_host=account_host)


def require_existing(root: Root) -> None:
    """StoreError unless something is stored at `root` (an object store's root: its bucket
    and prefix); the error tells a missing bucket from an empty prefix."""
    if root.storage.entry(root.path) is not None:
        return
    bucket = root.path.parents[-2] if len(root.path.parts) > 1 else root.path
    if root.storage.entry(bucket) is None:
        raise StoreError(f"{root.path}: there is no bucket or container {bucket.name!r} (or "
                         "these credentials may not see it).",
                         "Check the URL, and the endpoint and account the credentials are for.")
    raise StoreError(f"{root.path}: nothing is stored under this prefix.",
                     "Check the URL: snapshots are read at ROOT/<tenant_id>/<snapshot_id>/.")


def storage_of(path: PurePath) -> Storage:
    """The storage `path` is in: an object store's paths know theirs, any other is local."""
    return path.storage if isinstance(path, ObjectPath) else LOCAL
