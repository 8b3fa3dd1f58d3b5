"""One capture run: every collection into one snapshot.

Collections are captured concurrently (the pages of one collection strictly in
sequence, as OData requires), and role members and group expansions fan out
too; the manifest is assembled in a fixed order, so a replay gives the same
bytes. Refusals are sorted here: the licence-gated collections (and
`signInActivity` on `/users`) are recorded and tolerated as docs/kri.md's fail-safe
table says; anything else cancels the other steps and removes the partial
snapshot.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from entra_kri.snapshotter import collections as c
from entra_kri.snapshotter.auth import missing_permissions, token_roles
from entra_kri.snapshotter.ca_references import capture_conditional_access
from entra_kri.snapshotter.clouds import Cloud
from entra_kri.snapshotter.fanout import Spool, fan_out
from entra_kri.snapshotter.http import GraphClient
from entra_kri.snapshotter.manifest import (
    CollectionRecord,
    build_manifest,
    previous_manifest_sha256,
)
from entra_kri.snapshotter.paging import fetch_pages
from entra_kri.snapshotter.progress import CaptureObserver
from entra_kri.snapshotter.refusals import fatal_error, log_refusal, refused_request
from entra_kri.snapshotter.session import Connection
from entra_kri.snapshotter.writer import SnapshotWriter

from entra_kri.errors import EntraKriError, GraphError
from entra_kri.snapshot.layout import snapshot_id_for
from entra_kri.snapshot.storage import LOCAL, Storage

log = logging.getLogger("entra_kri.capture")

GROUP_TYPE = "#microsoft.graph.group"
FAILURES_ONLY = " and status/errorCode ne 0"
WORKERS = 16  # requests in flight per fan-out; 1 captures strictly in sequence


class CaptureCancelled(EntraKriError):
    """Another step of the capture failed; this one stopped at a page boundary."""


class PageSink(Protocol):
    def write_page(self, objects: Sequence[dict[str, Any]]) -> None: ...


@dataclass
class CaptureRun:
    """One step of a run: what it shares with the others (client, writer, cancel
    event, observer) and what it has recorded itself (records, warnings)."""

    client: GraphClient
    graph_url: str
    writer: SnapshotWriter
    captured_at: datetime
    window: timedelta
    observer: CaptureObserver = field(default_factory=CaptureObserver)
    workers: int = WORKERS
    cancel: threading.Event = field(default_factory=threading.Event)
    records: list[CollectionRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def step(self) -> CaptureRun:
        """A run for one concurrent step: shared state, its own records and warnings."""
        return replace(self, records=[], warnings=[])

    def warn(self, message: str) -> None:
        log.warning("%s", message)
        self.warnings.append(message)

    def copy(self, record: CollectionRecord, url: str, out: PageSink,
             context: dict[str, Any] | None = None,
             on_item: Callable[[dict[str, Any]], None] | None = None) -> None:
        """Stream every page of `url` into `out`, adding `context` fields to each object.

        `out` takes the page and the next one is requested at once, while the
        page is written (snapshotter/writer.py).
        """
        for page in fetch_pages(self.client, url):
            if self.cancel.is_set():
                raise CaptureCancelled(f"{record.name}: stopped because another step failed.")
            record.pages += 1
            if on_item:
                for item in page:
                    on_item(item)
            out.write_page([{**item, **context} for item in page] if context else page)
            self.observer.page(record.name, len(page))

    def capture(self, collection: c.Collection, urls: Sequence[str] = (),
                fall_back_on: frozenset[int] = frozenset(),
                on_item: Callable[[dict[str, Any]], None] | None = None,
                ) -> tuple[CollectionRecord, GraphError | None]:
        """A whole collection into its file, trying `urls` in turn.

        A status in `fall_back_on` moves on to the next URL; a status the
        collection tolerates is recorded as a refusal; anything else is fatal.
        Returns the record and the error that made it fall back, if any.
        """
        urls = list(urls) or [collection.url(self.graph_url)]
        out = self.writer.open_collection(collection.name)
        fell_back: GraphError | None = None
        for attempt, url in enumerate(urls, start=1):
            record = CollectionRecord(collection.name, url)
            try:
                self.copy(record, url, out, on_item=on_item)
                break
            except GraphError as exc:
                if exc.status in fall_back_on and attempt < len(urls):
                    log.info("%s: %s answered %s %s; trying %s", collection.name, url,
                             exc.status, exc.code, urls[attempt])
                    fell_back = exc
                elif exc.status in collection.tolerated:
                    self.refused(record, collection, exc)
                else:
                    raise fatal_error(collection, exc) from exc
                out.discard()
                out = self.writer.open_collection(collection.name)
                if record.outcome != "ok":
                    break
        record.written(out.close())
        return self.finish(record), fell_back

    def refused(self, record: CollectionRecord, collection: c.Collection,
                exc: GraphError) -> None:
        record.outcome = "forbidden" if exc.status == 403 else "not_found"
        record.http_status = exc.status or 0
        record.error = {"code": exc.code or "unknown", "message": exc.detail}
        record.pages = 0
        log_refusal(collection.name, refused_request(f"GET {collection.path}", exc))

    def finish(self, record: CollectionRecord) -> CollectionRecord:
        log.info("%s: %d items in %d pages (%s)", record.name, record.items, record.pages,
                 record.outcome)
        self.observer.done(record.name, record.items, record.outcome)
        self.records.append(record)
        return record


def capture_users(run: CaptureRun) -> None:
    """Users with signInActivity; on 403, the same users again without it (AzureHound's way)."""
    with_activity = 0

    def count_activity(user: dict[str, Any]) -> None:
        nonlocal with_activity
        with_activity += c.SIGN_IN_ACTIVITY in user

    urls = (c.USERS.url(run.graph_url),
            c.USERS.url(run.graph_url, params=c.USERS_WITHOUT_SIGN_IN_ACTIVITY))
    record, refusal = run.capture(c.USERS, urls, fall_back_on=frozenset({403}),
                                  on_item=count_activity)
    if refusal is not None:
        record.extra.update(sign_in_activity="forbidden", sign_in_activity_error={
            "code": refusal.code or "unknown", "message": refusal.detail})
        log_refusal(c.USERS.name, refused_request("signInActivity on /users", refusal)
                    + ": the users were captured without it")
    elif record.items and with_activity == 0:
        record.extra["sign_in_activity"] = "stripped"
        log_refusal(c.USERS.name, "Graph returned no signInActivity on any user")
    else:
        record.extra["sign_in_activity"] = "ok"


def capture_roles(run: CaptureRun) -> None:
    """Activated roles, their members, and the transitive members of groups in roles."""
    roles: list[dict[str, Any]] = []
    run.capture(c.DIRECTORY_ROLES, on_item=roles.append)
    groups: dict[str, str | None] = {}

    def note_group(member: dict[str, Any]) -> None:
        if member.get("@odata.type") == GROUP_TYPE and member.get("id"):
            groups[member["id"]] = member.get("displayName")

    capture_fan_out(run, c.DIRECTORY_ROLE_MEMBERS, [
        (f"/directoryRoles/{role['id']}/members",
         {"_roleId": role["id"], "_roleTemplateId": role.get("roleTemplateId"),
          "_roleDisplayName": role.get("displayName")})
        for role in roles
    ], on_item=note_group)
    capture_fan_out(run, c.GROUP_MEMBERS, [
        (f"/groups/{group_id}/transitiveMembers",
         {"_groupId": group_id, "_groupDisplayName": name})
        for group_id, name in sorted(groups.items())
    ])


def capture_fan_out(run: CaptureRun, collection: c.Collection,
                    requests: Sequence[tuple[str, dict[str, Any]]],
                    on_item: Callable[[dict[str, Any]], None] | None = None) -> None:
    """One collection gathered from several paths at once, each object tagged with its
    context, written in the order of `requests`."""
    record = CollectionRecord(collection.name, collection.url(run.graph_url))
    out = run.writer.open_collection(collection.name)

    def fetch(request: tuple[str, dict[str, Any]], spool: Spool) -> int:
        path, context = request
        part = CollectionRecord(collection.name, path)
        try:
            run.copy(part, collection.url(run.graph_url, path=path), spool, context, on_item)
        except GraphError as exc:
            raise fatal_error(collection, exc) from exc
        return part.pages

    record.pages = sum(fan_out(requests, fetch, out, run.workers))
    record.written(out.close())
    run.finish(record)


def capture_sign_ins(run: CaptureRun) -> None:
    """Failed sign-ins of the window; the whole window if Graph rejects the failure filter."""
    window = c.window_filter("createdDateTime", run.captured_at - run.window, run.captured_at)
    failures_url, all_url = (
        c.SIGN_INS.url(run.graph_url, params=(("$filter", f), *c.SIGN_INS.params))
        for f in (window + FAILURES_ONLY, window)
    )
    record, _ = run.capture(c.SIGN_INS, (failures_url, all_url), fall_back_on=frozenset({400}))
    record.extra["filter"] = "failures_only" if record.url == failures_url else "all"


def capture_directory_audits(run: CaptureRun) -> None:
    window = c.window_filter("activityDateTime", run.captured_at - run.window, run.captured_at)
    run.capture(c.DIRECTORY_AUDITS,
                (c.DIRECTORY_AUDITS.url(run.graph_url, params=(("$filter", window),)),))


def capture_organization(run: CaptureRun) -> None:
    run.capture(c.ORGANIZATION)


def capture_registration_details(run: CaptureRun) -> None:
    run.capture(c.USER_REGISTRATION_DETAILS)


# The independent steps of a capture, in manifest order; they run concurrently.
STEPS: tuple[Callable[[CaptureRun], None], ...] = (
    capture_organization, capture_users, capture_roles, capture_registration_details,
    capture_conditional_access, capture_sign_ins, capture_directory_audits,
)


def run_steps(run: CaptureRun, steps: Sequence[Callable[[CaptureRun], None]]) -> None:
    """Every step at once; their records and warnings merged into `run` in step order.

    The first failure (or an interrupt) cancels the other steps at their next
    page, and is raised once they have stopped.
    """
    step_runs = [run.step() for _ in steps]
    workers = min(len(steps), run.workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="capture") as pool:
        futures = [pool.submit(step, step_run) for step, step_run in zip(steps, step_runs,
                                                                          strict=True)]
        try:
            for future in as_completed(futures):
                if future.exception() is not None:
                    run.cancel.set()
        except BaseException:  # Ctrl-C: the steps stop at their next page, not at the end
            run.cancel.set()
            raise
    errors = [f.exception() for f in futures if f.exception() is not None]
    if errors:
        raise next((e for e in errors if not isinstance(e, CaptureCancelled)), errors[0])
    for step_run in step_runs:
        run.records.extend(step_run.records)
        run.warnings.extend(step_run.warnings)


def capture_snapshot(client: GraphClient, *, tenant_id: str, cloud: Cloud, root: Path,
                     captured_at: datetime, window: timedelta = timedelta(hours=24),
                     warnings: Sequence[str] = (),
                     observer: CaptureObserver | None = None, workers: int = WORKERS,
                     storage: Storage = LOCAL) -> Path:
    """Capture every collection into `root/<tenant_id>/<snapshot_id>/` in `storage`;
    return that path.

    On any failure what was written is removed and the error propagates:
    no snapshot appears that could be mistaken for a complete one. `workers=1`
    sends one request at a time (recording and replaying cassettes need that
    order to be the same every time).
    """
    snapshot_id = snapshot_id_for(captured_at)
    writer = SnapshotWriter(root, tenant_id, snapshot_id, storage)
    run = CaptureRun(client, cloud.graph_url, writer, captured_at, window,
                     observer or CaptureObserver(), workers)
    for message in warnings:
        run.warn(message)
    try:
        run_steps(run, STEPS)
        manifest = build_manifest(
            tenant_id=tenant_id, captured_at=captured_at, graph_url=cloud.graph_url,
            login_url=cloud.login_url,
            previous=previous_manifest_sha256(writer.tenant_dir, snapshot_id, storage),
            collections=run.records, warnings=run.warnings,
        )
        return writer.commit(manifest)
    except BaseException:
        writer.abort()
        raise


def take_snapshot(client: GraphClient, connection: Connection, root: Path,
                  captured_at: datetime, window: timedelta = timedelta(hours=24),
                  observer: CaptureObserver | None = None, workers: int = WORKERS,
                  storage: Storage = LOCAL) -> Path:
    """Sign in, warn about permissions the token lacks, and capture the tenant.

    The caller builds `client` (`connection.client(credential)`) and can read
    its request statistics afterwards.
    """
    roles = token_roles(client.tokens.token())
    warnings = []
    if roles is not None and missing_permissions(roles):
        warnings.append(
            "The access token lacks " + ", ".join(missing_permissions(roles))
            + ": grant these application permissions and admin consent (see `entra-kri check`)."
        )
    return capture_snapshot(client, tenant_id=connection.tenant_id, cloud=connection.cloud,
                            root=root, captured_at=captured_at, window=window, warnings=warnings,
                            observer=observer, workers=workers, storage=storage)
