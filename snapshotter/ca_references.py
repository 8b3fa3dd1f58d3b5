"""Conditional Access policies and what they reference (docs/ca-resolver.md).

After the policies, three reads the exact coverage KRI needs: the transitive
members of every group a policy names in `includeGroups`/`excludeGroups`
(collection `ca_group_members`, one outcome per group in the manifest), the
authentication strength policies (`authentication_strength_policies`) and the
named locations with their trust (`named_locations`). A 403/404 on any is
recorded, not fatal: the resolver then treats what it could not read fail-safe.
If the policies themselves were refused there is nothing to resolve, and all
three are recorded as `skipped` with empty files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from entra_kri.snapshotter import collections as c
from entra_kri.snapshotter.fanout import Spool, fan_out
from entra_kri.snapshotter.manifest import CollectionRecord
from entra_kri.snapshotter.refusals import fatal_error, log_refusal, refused_request

from entra_kri.errors import GraphError

if TYPE_CHECKING:  # capture.py imports this module
    from entra_kri.snapshotter.capture import CaptureRun

GROUP_LISTS = ("includeGroups", "excludeGroups")
REFERENCES = (c.CA_GROUP_MEMBERS, c.AUTHENTICATION_STRENGTH_POLICIES, c.NAMED_LOCATIONS)
SKIPPED = "skipped"


def capture_conditional_access(run: CaptureRun) -> None:
    """The policies, then the groups, authentication strengths and locations they reference."""
    policies: list[dict[str, Any]] = []
    record, _ = run.capture(c.CONDITIONAL_ACCESS_POLICIES, on_item=policies.append)
    if record.outcome != "ok":
        reason = f"GET {c.CONDITIONAL_ACCESS_POLICIES.path} was refused"
        for collection in REFERENCES:
            record_skipped(run, collection, reason)
        return
    capture_ca_groups(run, referenced_group_ids(policies))
    run.capture(c.AUTHENTICATION_STRENGTH_POLICIES)
    run.capture(c.NAMED_LOCATIONS)


def referenced_group_ids(policies: Iterable[dict[str, Any]]) -> list[str]:
    """Every group id in any policy's includeGroups or excludeGroups, sorted, once each."""
    ids: set[str] = set()
    for policy in policies:
        users = (policy.get("conditions") or {}).get("users") or {}
        for key in GROUP_LISTS:
            ids.update(g for g in users.get(key) or () if isinstance(g, str) and g)
    return sorted(ids)


def capture_ca_groups(run: CaptureRun, group_ids: Sequence[str]) -> None:
    """Each group's name and transitive members into `ca_group_members`, groups in parallel.

    The manifest entry's `groups` lists every group asked for with its own outcome,
    so analysis can tell "read, no members" from "refused" from "never asked".
    """
    collection = c.CA_GROUP_MEMBERS
    record = CollectionRecord(collection.name, collection.url(run.graph_url))
    out = run.writer.open_collection(collection.name)
    results = fan_out(group_ids, lambda group_id, spool: _capture_group(run, spool, group_id),
                      out, run.workers)
    record.extra["groups"] = [group for group, _ in results]
    record.pages = sum(pages for _, pages in results)
    record.written(out.close())
    run.finish(record)


def _capture_group(run: CaptureRun, spool: Spool, group_id: str) -> tuple[dict[str, Any], int]:
    """The group's outcome for the manifest, and how many pages were read."""
    collection = c.CA_GROUP_MEMBERS
    part = CollectionRecord(collection.name, group_id)
    name: str | None = None
    try:
        group = run.client.get_json(collection.url(
            run.graph_url, path=f"/groups/{group_id}", params=c.GROUP_NAME_PARAMS))
        name = group.get("displayName")
        members = collection.url(run.graph_url, path=f"/groups/{group_id}/transitiveMembers")
        run.copy(part, members, spool, {"_groupId": group_id, "_groupDisplayName": name})
    except GraphError as exc:
        if exc.status not in collection.tolerated:
            raise fatal_error(collection, exc) from exc
        log_refusal(collection.name, refused_request(f"GET /groups/{group_id}", exc))
        return {"id": group_id, "display_name": name,
                "outcome": "forbidden" if exc.status == 403 else "not_found",
                "http_status": exc.status, "items": spool.items,
                "error": {"code": exc.code or "unknown", "message": exc.detail}}, part.pages
    return {"id": group_id, "display_name": name, "outcome": "ok", "http_status": 200,
            "items": spool.items, "error": None}, part.pages


def record_skipped(run: CaptureRun, collection: c.Collection, reason: str) -> None:
    """An empty file and a manifest entry saying why the collection was not read."""
    record = CollectionRecord(collection.name, collection.url(run.graph_url), outcome=SKIPPED,
                              http_status=None)
    record.extra["skipped_because"] = reason
    record.written(run.writer.open_collection(collection.name).close())
    run.finish(record)
