"""Azure version-level immutability (WORM): the container check before retention, and what
holds a blob already written.

docs/object-storage.md, "Retention on Azure Blob Storage". Azure's equivalent of S3
Object Lock is a time-based immutability policy on each blob version (an expiry and
a mode: Unlocked, which may still be shortened or removed, or Locked, which may only
be extended) and a legal hold, both possible only in a container with version-level
immutability support. entra-kri does not write such policies (the docs say why);
it refuses `retention_days` there, naming the container's lack of support first,
and `prune` keeps every snapshot of which Azure still holds a blob.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import Any

from fsspec.asyn import sync

from entra_kri.errors import ConfigurationError
from entra_kri.snapshot.storage import Hold
from entra_kri.snapshot.store_errors import store_error

_MODES = {"unlocked": "Unlocked", "locked": "Locked"}


def check_version_immutability(fs: Any, root: PurePath, container: str) -> None:
    """ConfigurationError, naming the container, the cause and the fix, for retention on
    an Azure root: unless the container has version-level immutability support, that
    it does not; and with it, that entra-kri does not write Azure immutability policies."""
    try:
        properties = sync(fs.loop, _container_properties, fs, container)
    except Exception as exc:
        refusal = store_error(exc)
        if refusal is None:
            raise
        raise ConfigurationError(
            f"{root}: Azure did not say whether the container {container} supports "
            f"version-level immutability ({refusal.cause}), and the configuration's "
            "retention_days needs it: nothing was written.", refusal.fix) from exc
    if not properties.immutable_storage_with_versioning_enabled:
        raise ConfigurationError(
            f"{root}: the container {container} does not have version-level immutability "
            "support, so the configuration's retention_days cannot be kept there: nothing "
            "was written.",
            "Write to a container created with version-level immutability support (it needs "
            "blob versioning on the account; `az storage container-rm create "
            "--enable-vlw`), or remove retention_days and retention_mode from the "
            "configuration (docs/object-storage.md, \"Retention on Azure Blob Storage\").")
    raise ConfigurationError(
        f"{root}: the container {container} supports version-level immutability, but "
        "entra-kri does not write Azure immutability policies yet, so the configuration's "
        "retention_days cannot be kept there: nothing was written.",
        "Remove retention_days and retention_mode, and lock the blobs with Azure's own tools "
        "(docs/object-storage.md, \"Retention on Azure Blob Storage\"); `prune` keeps every "
        "snapshot Azure still holds. Or write to an s3:// root with Object Lock.")


def azure_hold(fs: Any, container: str, blob: str, now: datetime) -> Hold | None:
    """What Azure holds the blob under at `now`: a legal hold, or an immutability policy
    whose expiry is still to come; None when Azure would let it be deleted."""
    try:
        properties = sync(fs.loop, _blob_properties, fs, container, blob)
    except Exception as exc:  # the SDK's ResourceNotFoundError, not imported: an extra
        if getattr(exc, "status_code", None) == 404:
            return None
        raise
    return blob_hold(properties, now)


def blob_hold(properties: Any, now: datetime) -> Hold | None:
    """The hold that a blob's properties (the SDK's `BlobProperties`) say it is under."""
    if properties.has_legal_hold:
        return Hold(None, "an Azure legal hold")
    policy = properties.immutability_policy
    until = policy.expiry_time if policy is not None else None
    if isinstance(until, datetime) and until > now:
        mode = _MODES.get(str(policy.policy_mode).lower(), "?")  # never the store's own text
        return Hold(until, f"an Azure immutability policy ({mode})")
    return None


async def _container_properties(fs: Any, container: str) -> Any:
    async with fs.service_client.get_container_client(container) as client:
        return await client.get_container_properties()


async def _blob_properties(fs: Any, container: str, blob: str) -> Any:
    async with fs.service_client.get_blob_client(container, blob) as client:
        return await client.get_blob_properties()
