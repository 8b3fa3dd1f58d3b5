"""Names of the snapshot format (docs/snapshot-format.md): files, ids, version, collections.

Capture writes and analysis reads through these names only, so a change to the
format is a change here. Adding a collection is one line in `COLLECTIONS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = frozenset({FORMAT_VERSION})

MANIFEST_FILE = "manifest.json"
COLLECTION_SUFFIX = ".ndjson.gz"
PARTIAL_SUFFIX = ".partial"  # ROOT/<tenant>/.<snapshot_id>.partial/ while being written
PRUNED_FILE = "pruned.ndjson"  # ROOT/<tenant>/pruned.ndjson, written by `entra-kri prune`
PRUNED_DIR = "pruned"  # on an object store: ROOT/<tenant>/pruned/<snapshot_id>.json

SNAPSHOT_ID = re.compile(r"\A\d{8}T\d{6}Z\Z")
GUID = re.compile(r"\A[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}\Z")
SHA256_HEX = re.compile(r"\A[0-9a-f]{64}\Z")
COLLECTION_NAME = re.compile(r"\A[a-z][a-z0-9_]{0,63}\Z")
_SNAPSHOT_ID_FORMAT = "%Y%m%dT%H%M%SZ"
_CAPTURED_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

# How Graph may answer a collection (docs/snapshot-format.md, "manifest.json").
OK = "ok"
REFUSED_OUTCOMES = frozenset({"forbidden", "not_found"})
SKIPPED = "skipped"  # not read because the policies were refused: an empty file


@dataclass(frozen=True)
class CollectionSpec:
    """One collection of the format and what a manifest may say of it.

    `required`: every format_version 1 snapshot lists it (the others were added
    later: older snapshots lack them, and analysis treats that as "not read").
    `refusable`: Graph may refuse it (licence-gated, docs/kri.md) and the snapshot
    still counts. `skippable`: read only when the Conditional Access policies were.
    """

    name: str
    required: bool = True
    refusable: bool = False
    skippable: bool = False

    def allows(self, outcome: str) -> bool:
        """Whether a snapshot whose manifest records `outcome` for this collection counts."""
        return (outcome == OK or (self.refusable and outcome in REFUSED_OUTCOMES)
                or (self.skippable and outcome == SKIPPED))


COLLECTIONS = (
    CollectionSpec("organization"),
    CollectionSpec("users"),
    CollectionSpec("directory_roles"),
    CollectionSpec("directory_role_members"),
    CollectionSpec("group_members"),
    CollectionSpec("sign_ins", refusable=True),
    CollectionSpec("directory_audits", refusable=True),
    CollectionSpec("conditional_access_policies", refusable=True),
    CollectionSpec("user_registration_details", refusable=True),
    CollectionSpec("ca_group_members", required=False, refusable=True, skippable=True),
    CollectionSpec("authentication_strength_policies", required=False, refusable=True,
                   skippable=True),
    CollectionSpec("named_locations", required=False, refusable=True, skippable=True),
)
COLLECTION_SPECS = {spec.name: spec for spec in COLLECTIONS}
REQUIRED_COLLECTIONS = tuple(spec.name for spec in COLLECTIONS if spec.required)


def collection_file(name: str) -> str:
    """The file a collection is written to: `<name>.ndjson.gz`."""
    return f"{name}{COLLECTION_SUFFIX}"


def snapshot_id_for(captured_at: datetime) -> str:
    """The snapshot id of a capture started at `captured_at` (UTC): YYYYMMDDTHHMMSSZ."""
    return captured_at.strftime(_SNAPSHOT_ID_FORMAT)


def captured_at_text(captured_at: datetime) -> str:
    """`captured_at` as the manifest records it: YYYY-MM-DDTHH:MM:SSZ."""
    return captured_at.strftime(_CAPTURED_AT_FORMAT)


def captured_moment(snapshot_id: str) -> datetime:
    """When the snapshot `snapshot_id` was captured, in UTC."""
    return datetime.strptime(snapshot_id, _SNAPSHOT_ID_FORMAT).replace(tzinfo=UTC)


def captured_at_of(snapshot_id: str) -> str:
    """The manifest's `captured_at` that goes with `snapshot_id`."""
    return captured_at_text(datetime.strptime(snapshot_id, _SNAPSHOT_ID_FORMAT))


def is_snapshot_id(text: object) -> bool:
    """A string like 20261127T110644Z (a real date and time)."""
    if not isinstance(text, str) or not SNAPSHOT_ID.match(text):
        return False
    try:
        datetime.strptime(text, _SNAPSHOT_ID_FORMAT)
    except ValueError:
        return False
    return True


def is_guid(text: object) -> bool:
    """A GUID, as Entra's tenant and application ids are."""
    return isinstance(text, str) and bool(GUID.match(text))


def is_tenant_id(text: object) -> bool:
    """A directory (tenant) id, which names a tenant's directory: a GUID."""
    return is_guid(text)


def is_sha256(text: object) -> bool:
    """A lower-case hex SHA-256, as the manifest and pruned.ndjson record them."""
    return isinstance(text, str) and bool(SHA256_HEX.match(text))
