"""One lock per tenant under the snapshot root, so two runs never write the same tenant.

The lock holds the holder's pid, host, start time and a random token. Two parts:

- A `LockStore` is where the lock lives, behind the operations that a
  create-only object store offers as well: `create` (all or nothing, fails if a
  lock exists), `read` (the lock's content, age and identity), `remove_if`
  (remove the lock only while it is still the one that was read, and only once)
  and `renew` (rewrite it only while it is still the one that was read).
  `LockFileStore` is a file on a local disk; `entra_kri.lease.Lease` an
  object in an object store, a lease that records when it expires
  (docs/object-storage.md, "The tenant lease").
- `hold` is the policy: a lease is stale once its expiry has passed, and only
  then; a lock file whose process is gone (same host, pid not running) is
  stale, and so is an empty or unreadable lock older than
  `UNREADABLE_STALE_AFTER` (a lock is never empty for longer than its write
  takes). A stale lock is taken over with a warning; a live one raises
  LockedError. A lease is renewed while it is held (every `renew_every` seconds).

Atomicity (docs/operations.md, "The tenant lock"): the lock is written to a
temporary file, then hard-linked to `.lock`, so it appears complete or not at
all, and a failed write (disk full) leaves nothing behind. Of several processes taking over the same
stale lock, only the one that creates its take-over guard (a file named after
the stale lock's identity, created exclusively) removes it; then all race to
create the new lock, which exactly one wins.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from entra_kri.errors import EntraKriError
from entra_kri.lease import lease_store
from entra_kri.lock_store import UTC_TEXT, LockState, LockStore
from entra_kri.snapshot.storage import LOCAL, Storage

LOCK_FILE = ".lock"
UNREADABLE_STALE_AFTER = 300  # seconds
log = logging.getLogger("entra_kri.lock")


class LockedError(EntraKriError):
    """Another live run holds the tenant's lock."""


class LockFileStore:
    """The lock as a file: created whole or not at all, removed only as it was read."""

    renew_every = None

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def create(self, holder: Mapping[str, Any]) -> LockState | None:
        """Write the lock unless one exists: the lock as written; None if one exists.
        OSError if the write fails."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex}.tmp")
        content = json.dumps(dict(holder)).encode()
        try:
            fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            try:
                os.write(fd, content)
                os.fsync(fd)
                written = os.fstat(fd)  # linking keeps the inode and its mtime
            finally:
                os.close(fd)
            os.link(temporary, self.path)
        except FileExistsError:
            return None
        finally:
            with suppress(FileNotFoundError):
                temporary.unlink()
        return LockState(dict(holder), 0.0, _identity(written, content))

    def read(self) -> LockState | None:
        """The lock as it is now, or None when there is none."""
        try:
            with self.path.open("rb") as handle:
                stat = os.fstat(handle.fileno())
                content = handle.read()
        except FileNotFoundError:
            return None
        try:
            holder = json.loads(content)
        except ValueError:
            holder = None
        return LockState(holder if isinstance(holder, dict) else None,
                         time.time() - stat.st_mtime, _identity(stat, content))

    def remove_if(self, seen: LockState) -> bool:
        """Remove the lock if it is still `seen`; True for the one caller that removed it."""
        guard = self.path.with_name(f"{self.path.name}.takeover-{seen.identity}")
        try:
            os.close(os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        try:
            current = self.read()
            if current is None or current.identity != seen.identity:
                return False
            self.path.unlink()
            return True
        finally:
            guard.unlink()

    def renew(self, seen: LockState, holder: Mapping[str, Any]) -> LockState | None:
        """Nothing to do (`hold` never asks): a lock file never expires."""
        return seen


def _identity(stat: os.stat_result, content: bytes) -> str:
    """A lock file's identity: its inode, when it was written and what it holds."""
    return hashlib.sha256(f"{stat.st_ino}:{stat.st_mtime_ns}:".encode() + content).hexdigest()[:32]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _stale_because(state: LockState, host: str, lease: bool) -> str | None:
    """Why the lock may be taken over, or None while its holder may still be running.
    A `lease` is judged by its expiry alone, a lock file by its process."""
    holder = state.holder
    if holder is None or not (lease or isinstance(holder.get("pid"), int)):
        if state.age_seconds > UNREADABLE_STALE_AFTER:
            return (f"it is empty or unreadable and {state.age_seconds / 60:.0f} minutes old "
                    "(a run interrupted while writing it)")
        return None
    if lease:
        expires = _expiry(holder)
        if expires is not None and datetime.now(UTC) < expires:
            return None
        when = "has no valid expiry" if expires is None else f"expired at {holder['expires']}"
        return (f"its lease {when} (its holder, pid {holder.get('pid', '?')} on "
                f"{holder.get('host', '?')}, stopped renewing it)")
    if holder.get("host") == host and not _alive(holder["pid"]):
        return f"process {holder['pid']} (started {holder.get('started', '?')}) is gone"
    return None


def _expiry(holder: Mapping[str, Any]) -> datetime | None:
    """When a lease expires; None if its `expires` is missing or not a UTC time."""
    try:
        return datetime.strptime(str(holder.get("expires")), UTC_TEXT).replace(
            tzinfo=UTC)
    except ValueError:
        return None


def _locked(path: str, state: LockState, lease: bool) -> LockedError:
    holder = state.holder
    if holder is not None and lease:
        return LockedError(
            f"Another run holds the lease {path} (pid {holder.get('pid', '?')} on "
            f"{holder.get('host', '?')}, started {holder.get('started', '?')}, renewed "
            f"while it runs; it expires at {holder['expires']} unless renewed).",
            "Wait for it to finish. A run that stopped without releasing the lease (killed, "
            "or its machine lost) leaves it to expire; the next run after that takes it over.",
        )
    if holder is None or not isinstance(holder.get("pid"), int):
        return LockedError(
            f"The lock {path} is empty or unreadable, and only "
            f"{state.age_seconds:.0f} seconds old: another run may be writing it.",
            f"Run again in a few minutes: a lock like this older than "
            f"{UNREADABLE_STALE_AFTER // 60} minutes is taken over.",
        )
    return LockedError(
        f"Another run holds {path} (pid {holder['pid']} on {holder.get('host', '?')}, "
        f"started {holder.get('started', '?')}).",
        "Wait for it to finish. If that process is gone and the lock was left on "
        "another host, delete the lock file.",
    )


@contextmanager
def hold(store: LockStore, attempts: int = 3) -> Iterator[None]:
    """Hold the lock in `store` for the block; LockedError if a live run holds it."""
    host, lease = socket.gethostname(), store.renew_every is not None
    me = {"pid": os.getpid(), "host": host, "token": uuid.uuid4().hex,
          "started": datetime.now(UTC).strftime(UTC_TEXT)}
    for _attempt in range(attempts):
        created = store.create(me)
        if created is not None:
            break
        state = store.read()
        if state is None:
            continue  # released meanwhile: try again
        reason = _stale_because(state, host, lease)
        if reason is None:
            raise _locked(store.where, state, lease)
        if store.remove_if(state):
            log.warning("Taking over the lock %s: %s.", store.where, reason)
    else:
        guards = ("" if lease else
                  f" and any {PurePath(store.where).name}.takeover-* file beside it")
        raise LockedError(
            f"The lock {store.where} could not be taken after {attempts} attempts: other "
            "runs are taking it at the same time, or a take-over was interrupted.",
            f"Run again. If this repeats and no run is in progress, delete "
            f"{store.where}{guards}.",
        )
    held = _Held(created)
    renewing = _Renewal(store, held, me) if lease else None
    try:
        yield
    finally:
        if renewing is not None:
            renewing.stop()
        if held.state is None or not store.remove_if(held.state):
            log.warning("The lock %s is no longer ours (removed or replaced while we held "
                        "it): left as it is.", store.where)
            # A lease changes under its holder only once it has expired (its renewals may
            # all have failed): another run may have written meanwhile.
            held.lost = held.lost or lease
    if held.lost:
        raise LockedError(
            f"The lease {store.where} expired while this run held it (it could not be "
            "renewed in time), so another run may have written the tenant meanwhile.",
            "Check the store is reachable from this machine and run again; `verify` shows "
            "whether the tenant's snapshots still form one chain.",
        )


@dataclass
class _Held:
    """The lock as this holder last wrote it, and whether it was lost meanwhile."""

    state: LockState | None
    lost: bool = False


class _Renewal:
    """A thread renewing a held lease every `store.renew_every` seconds until stopped."""

    def __init__(self, store: LockStore, held: _Held, holder: Mapping[str, Any]) -> None:
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(store, held, holder),
                                        name="entra-kri-lease", daemon=True)
        self._thread.start()

    def _run(self, store: LockStore, held: _Held, holder: Mapping[str, Any]) -> None:
        assert store.renew_every is not None
        while held.state is not None and not self._stopped.wait(store.renew_every):
            try:
                renewed = store.renew(held.state, holder)
            except Exception as exc:  # any library's error (botocore's are not OSError)
                log.warning("The lease %s could not be renewed (%s); trying again in %.0f "
                            "seconds.", store.where, type(exc).__name__, store.renew_every)
                continue
            if renewed is None:
                log.error("The lease %s is no longer ours: it expired and another run took "
                          "it over.", store.where)
                held.lost, held.state = True, None
                return
            held.state = renewed

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


def tenant_lock(tenant_dir: PurePath, storage: Storage = LOCAL) -> AbstractContextManager[None]:
    """Hold `tenant_dir/.lock` for the block; LockedError if a live run holds it.

    On an object store the lock is a lease object (`entra_kri.lease`)."""
    if storage is LOCAL:
        return hold(LockFileStore(Path(tenant_dir) / LOCK_FILE))
    return hold(lease_store(storage, tenant_dir / LOCK_FILE))
