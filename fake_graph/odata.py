"""OData query handling the fake needs: timestamps, `$select`, `$filter` forms, paging tokens."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

Json = dict[str, Any]

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,7}))?(Z|[+-]\d\d:\d\d)$"
)
NEVER = datetime(1, 1, 1, tzinfo=UTC)


class QueryError(ValueError):
    """A query Graph would answer with 400; `code` is Graph's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_time(text: str) -> datetime:
    """Parse a Graph timestamp with 0 to 7 fractional digits (7 is truncated to 6)."""
    match = _TIMESTAMP.match(text)
    if not match:
        raise ValueError(f"not a Graph timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    parsed = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=UTC
    )
    if zone != "Z":
        parsed = datetime.fromisoformat(parsed.strftime("%Y-%m-%dT%H:%M:%S.%f") + zone)
    return parsed.astimezone(UTC)


def format_time(moment: datetime, digits: int = 0) -> str:
    """Format as Graph does: UTC, `Z`, `digits` (0-7) fractional digits."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        fraction = f"{moment.microsecond:06d}0"[:digits]
        text += "." + fraction
    return text + "Z"


def parse_select(raw: str | None) -> list[str] | None:
    """`$select` as a list of property names (trimmed, order kept), or None."""
    if raw is None:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        raise QueryError("Request_BadRequest", "Invalid $select: no property named.")
    return names


def project(obj: Mapping[str, Any], select: Iterable[str], known: Mapping[str, str]) -> Json:
    """Graph's `$select`: `id` plus the selected properties, null when unset.

    `known` maps lower-cased property names to their canonical spelling (Graph
    matches case-insensitively and answers with its own casing). A user without a
    `signInActivity` key keeps it absent (Graph stripping the property).
    """
    out: Json = {}
    if "@odata.type" in obj:
        out["@odata.type"] = obj["@odata.type"]
    out["id"] = obj["id"]
    for name in select:
        canonical = known[name.lower()]
        if canonical in obj:
            out[canonical] = obj[canonical]
        elif canonical != "signInActivity":
            out[canonical] = None
    return out


def parse_top(raw: str | None, *, default: int, maximum: int) -> int:
    """`$top` within [1, maximum]; Graph answers 400 Request_BadRequest outside it."""
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise QueryError(
            "Request_BadRequest",
            f"Invalid page size specified: '{raw}'. Must be between 1 and {maximum} inclusive.",
        )
    return int(raw)


def encode_skiptoken(path: str, offset: int) -> str:
    """An opaque, deterministic `$skiptoken` for `offset` within the collection at `path`."""
    raw = f"fake-graph|{path.lower()}|{offset}".encode()
    return "RFNwdAIA" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token: str, path: str) -> int:
    """The offset a token from `encode_skiptoken` carries; 400 if it is not one for `path`."""
    try:
        if not token.startswith("RFNwdAIA"):
            raise ValueError(token)
        body = token[len("RFNwdAIA") :]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        marker, token_path, offset = raw.split("|")
        if marker != "fake-graph" or token_path != path.lower():
            raise ValueError(raw)
        return int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise QueryError(
            "Directory_ExpiredPageToken",
            "The specified page token value has expired and can no longer be included in "
            "your request.",
        ) from exc


def build_next_link(root: str, path: str, query: list[tuple[str, str]], offset: int) -> str:
    """An absolute nextLink: the original query (minus any `$skiptoken`) plus a new one."""
    kept = [(k, v) for k, v in query if k != "$skiptoken"]
    kept.append(("$skiptoken", encode_skiptoken(path, offset)))
    encoded = "&".join(f"{k}={quote(v, safe=',:()')}" for k, v in kept)
    return f"{root}{path}?{encoded}"


_SIGNINS_FILTER = re.compile(
    r"^createdDateTime ge (\S+) and createdDateTime le (\S+)"
    r"(?P<failures> and status/errorCode ne 0)?$"
)
_AUDITS_FILTER = re.compile(r"^activityDateTime ge (\S+) and activityDateTime le (\S+)$")


def _window(match: re.Match[str], prop: str, resource: str) -> tuple[datetime, datetime]:
    try:
        return parse_time(match.group(1)), parse_time(match.group(2))
    except ValueError as exc:
        raise unsupported(prop, resource) from exc


def unsupported(prop: str, resource: str) -> QueryError:
    return QueryError(
        "Request_UnsupportedQuery",
        f"Unsupported or invalid query filter clause specified for property '{prop}' of "
        f"resource '{resource}'.",
    )


def parse_signins_filter(raw: str) -> tuple[datetime, datetime, bool]:
    """The sign-in window filter: (start, end, failures_only)."""
    match = _SIGNINS_FILTER.match(raw.strip())
    if not match:
        raise unsupported("createdDateTime", "signIn")
    start, end = _window(match, "createdDateTime", "signIn")
    return start, end, match.group("failures") is not None


def parse_audits_filter(raw: str) -> tuple[datetime, datetime]:
    """The directory-audit window filter: (start, end)."""
    match = _AUDITS_FILTER.match(raw.strip())
    if not match:
        raise unsupported("activityDateTime", "directoryAudit")
    return _window(match, "activityDateTime", "directoryAudit")
