"""One lock per tenant under the snapshot root, so two runs never write the same tenant.

The lock file holds the holder's pid, host and start time. A lock whose process
is gone (a crashed run, a rebooted host) is taken over with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from entra_kri.errors import EntraKriError

LOCK_FILE = ".lock"
log = logging.getLogger("entra_kri.lock")


class LockedError(EntraKriError):
    """Another live run holds the tenant's lock."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _holder(path: Path) -> dict[str, Any]:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}


@contextmanager
def tenant_lock(tenant_dir: Path) -> Iterator[None]:
    """Hold `tenant_dir/.lock` for the block; LockedError if a live run holds it."""
    tenant_dir.mkdir(parents=True, exist_ok=True)
    path = tenant_dir / LOCK_FILE
    me = {"pid": os.getpid(), "host": socket.gethostname(),
          "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            holder = _holder(path)
            pid, host = holder.get("pid"), holder.get("host")
            if isinstance(pid, int) and host == me["host"] and not _alive(pid):
                log.warning("Taking over the lock %s left by process %s (started %s), which "
                            "is gone.", path, pid, holder.get("started", "?"))
                path.unlink(missing_ok=True)
                continue
            raise LockedError(
                f"Another run holds {path} (pid {pid} on {host}, started "
                f"{holder.get('started', '?')}).",
                "Wait for it to finish. If that process is gone and the lock was left on "
                "another host, delete the lock file.",
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(me, out)
        break
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
