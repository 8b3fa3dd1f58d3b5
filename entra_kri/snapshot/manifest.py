"""manifest.json: the one parser (strict, typed) and the one serialiser.

`parse_manifest` reads the bytes once and says everything wrong with them:
not UTF-8 JSON, duplicate keys, nesting beyond any manifest's, values of the
wrong type, an unknown format version, malformed ids, collections missing,
repeated or recorded with an outcome the format does not allow. What it
cannot know (the directory's name, the files) is the validator's job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from entra_kri.snapshot.digest import sha256_hex
from entra_kri.snapshot.layout import (
    COLLECTION_NAME,
    COLLECTION_SPECS,
    OK,
    REFUSED_OUTCOMES,
    REQUIRED_COLLECTIONS,
    SKIPPED,
    SUPPORTED_FORMAT_VERSIONS,
    captured_at_of,
    collection_file,
    is_sha256,
    is_snapshot_id,
    is_tenant_id,
)

# A manifest is 4 levels deep (manifest > collections > entry > groups > group > error).
MAX_DEPTH = 16
OUTCOMES = frozenset({OK, SKIPPED, *REFUSED_OUTCOMES})


@dataclass(frozen=True)
class CollectionEntry:
    """One collection as the manifest records it; `fields` is the whole entry as written."""

    name: str
    outcome: str
    items: int
    file: str
    bytes: int
    sha256: str
    fields: Mapping[str, Any]

    @property
    def is_ok(self) -> bool:
        return self.outcome == OK


@dataclass(frozen=True)
class Manifest:
    """A parsed manifest.json; `sha256` is the hash of its bytes (the chain link)."""

    format_version: int
    tenant_id: str
    snapshot_id: str
    captured_at: str
    previous_manifest_sha256: str | None
    collections: tuple[CollectionEntry, ...]
    warnings: tuple[str, ...]
    sha256: str
    document: Mapping[str, Any]

    @property
    def tool_version(self) -> str:
        return str(self.document.get("tool_version", ""))

    def collection(self, name: str) -> CollectionEntry | None:
        """The entry of collection `name`, or None when the manifest does not list it."""
        return next((c for c in self.collections if c.name == name), None)


@dataclass(frozen=True)
class ManifestReading:
    """What `parse_manifest` made of some bytes: the manifest if usable, every problem,
    the SHA-256 of the bytes and the chain link they record (kept even when the manifest
    has problems, so that the chain around a damaged snapshot can still be checked)."""

    manifest: Manifest | None
    problems: tuple[str, ...]
    sha256: str
    previous_manifest_sha256: str | None = None
    is_object: bool = False  # the bytes are a JSON object: the link above is what they record
    files: frozenset[str] = frozenset()  # every file name the collections list, valid or not


class _DuplicateKey(ValueError):
    pass


# A surrogate code point left in a decoded str is a lone one (json pairs the others).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_json(text: str) -> bytes:
    """JSON text as UTF-8, a lone UTF-16 surrogate kept as the escape Graph sent.

    `"\\ud800"` is legal JSON but has no UTF-8 form: it is written back as the
    six-character escape (lower-case hex), so the file stays valid UTF-8 and
    reads back as the same string.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def manifest_bytes(document: Mapping[str, Any]) -> bytes:
    """The bytes capture writes for `document`: indented UTF-8 JSON and a final newline."""
    return utf8_json(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def parse_manifest(raw: bytes) -> ManifestReading:
    """Parse and check the bytes of a manifest.json (the snapshot's own files aside)."""
    digest = sha256_hex(raw)
    document, problem = _decode(raw)
    if problem:
        return ManifestReading(None, (problem,), digest)
    if not isinstance(document, dict):
        return ManifestReading(None, (f"is a JSON {type(document).__name__}, not an object",),
                               digest)
    previous = document.get("previous_manifest_sha256")
    link = previous if isinstance(previous, str) else None
    version = document.get("format_version")
    if type(version) is not int or version not in SUPPORTED_FORMAT_VERSIONS:
        supported = ", ".join(map(str, sorted(SUPPORTED_FORMAT_VERSIONS)))
        return ManifestReading(None, (
            f"has format_version {version!r}; this version of entra-kri reads format_version "
            f"{supported} (use the entra-kri version that wrote the snapshot)",), digest, link,
            True)
    problems = list(_identity_problems(document))
    collections = document.get("collections")
    entries, entry_problems = _collections(collections)
    problems += entry_problems
    files = frozenset(c["file"] for c in collections if isinstance(c, dict)
                      and isinstance(c.get("file"), str)) if isinstance(collections, list) else (
        frozenset())
    warnings = document.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        problems.append("has warnings that are not a list of strings")
        warnings = []
    if problems:
        return ManifestReading(None, tuple(problems), digest, link, True, files)
    manifest = Manifest(
        format_version=version,
        tenant_id=document["tenant_id"],
        snapshot_id=document["snapshot_id"],
        captured_at=document["captured_at"],
        previous_manifest_sha256=link,
        collections=entries,
        warnings=tuple(warnings),
        sha256=digest,
        document=MappingProxyType(document),
    )
    return ManifestReading(manifest, (), digest, link, True, files)


def _decode(raw: bytes) -> tuple[Any, str | None]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"is not UTF-8 ({exc.reason} at byte {exc.start})"
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys,
                              parse_constant=_no_constant)
    except _DuplicateKey as exc:
        return None, f"repeats the key {exc} in one object (a JSON reader would keep only one)"
    except RecursionError:
        return None, f"is nested deeper than any manifest ({MAX_DEPTH} levels)"
    except ValueError as exc:
        return None, f"is not valid JSON ({exc})"
    if _depth(document) > MAX_DEPTH:
        return None, f"is nested deeper than any manifest ({MAX_DEPTH} levels)"
    return document, None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKey(json.dumps(key))
        document[key] = value
    return document


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _depth(document: Any) -> int:
    """How deeply `document` nests, without recursion."""
    deepest, stack = 0, [(1, document)]
    while stack:
        depth, value = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack.extend((depth + 1, v) for v in value.values())
        elif isinstance(value, list):
            stack.extend((depth + 1, v) for v in value)
    return deepest


def _identity_problems(document: dict[str, Any]) -> Iterator[str]:
    tenant_id = document.get("tenant_id")
    if not is_tenant_id(tenant_id):
        yield f"has tenant_id {tenant_id!r}, which is not a GUID"
    snapshot_id = document.get("snapshot_id")
    if not is_snapshot_id(snapshot_id):
        yield f"has snapshot_id {snapshot_id!r}, which is not of the form YYYYMMDDTHHMMSSZ"
    elif document.get("captured_at") != captured_at_of(snapshot_id):
        yield (f"has captured_at {document.get('captured_at')!r}, which does not match its "
               f"snapshot_id {snapshot_id!r} (renamed or back-dated)")
    if document.get("complete") is not True:
        yield (f"says the snapshot is not complete (complete = "
               f"{json.dumps(document.get('complete'))}): the capture did not finish")
    previous = document.get("previous_manifest_sha256")
    if previous is not None and not is_sha256(previous):
        yield f"has previous_manifest_sha256 {previous!r}, which is not a SHA-256"
    if not isinstance(document.get("tool_version", ""), str):
        yield "has a tool_version that is not a string"


def _collections(value: Any) -> tuple[tuple[CollectionEntry, ...], list[str]]:
    if not isinstance(value, list):
        return (), ["has no list of collections"]
    entries: list[CollectionEntry] = []
    problems: list[str] = []
    named: list[str] = []
    for index, item in enumerate(value):
        entry, entry_problems = _entry(index, item)
        problems += entry_problems
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str) and name in named:
            problems.append(f"lists the collection {name!r} twice")
        elif isinstance(name, str):
            named.append(name)
            if entry is not None:
                entries.append(entry)
    problems += [f"does not list the collection {name!r}, which every snapshot has"
                 for name in REQUIRED_COLLECTIONS if name not in named]
    return tuple(entries), problems


def _entry(index: int, item: Any) -> tuple[CollectionEntry | None, list[str]]:
    where = f"collections[{index}]"
    if not isinstance(item, dict):
        return None, [f"has {where}, which is not an object"]
    name = item.get("name")
    if not isinstance(name, str) or not COLLECTION_NAME.match(name):
        return None, [f"has {where} with the name {name!r}, which is not a collection name"]
    where = f"collection {name!r}"
    problems = []
    outcome = item.get("outcome")
    spec = COLLECTION_SPECS.get(name)
    if not isinstance(outcome, str) or outcome not in OUTCOMES:
        problems.append(f"records {where} with the outcome {outcome!r}, which is not one of "
                        f"{', '.join(sorted(OUTCOMES))}")
    elif spec is not None and not spec.allows(outcome):
        problems.append(
            f"records {where} with the outcome {outcome!r} (HTTP {item.get('http_status')}); "
            "only the licence-gated collections may be refused, so no KRI is computed from "
            "this snapshot (fix the app's permissions and capture again)")
    expected_file = collection_file(name)
    if item.get("file") != expected_file:
        problems.append(f"records {where} in the file {item.get('file')!r}; the format "
                        f"writes it to {expected_file!r}")
    for key in ("items", "bytes"):
        if type(item.get(key)) is not int or item[key] < 0:
            problems.append(f"records {where} with {key} {item.get(key)!r}, not a count")
    if not is_sha256(item.get("sha256")):
        problems.append(f"records {where} with sha256 {item.get('sha256')!r}, not a SHA-256")
    if problems:
        return None, problems
    entry = CollectionEntry(name=name, outcome=outcome, items=item["items"], file=expected_file,
                            bytes=item["bytes"], sha256=item["sha256"],
                            fields=MappingProxyType(item))
    return entry, []
