"""Run history under ROOT/<tenant>/runs.ndjson: two NDJSON lines per `entra-kri run` per tenant.

The first line, outcome "started", is written when the tenant's run begins; the
second, with the same run id, when it ends. A run killed outright (kill -9, power
loss) keeps only its first line, and is listed as started, never finished.

An object store cannot append, so there each line is an object of its own,
written once: ROOT/<tenant>/runs/<run_id>.1.json and <run_id>.2.json.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from entra_kri.snapshot.storage import LOCAL, Storage
from entra_kri.snapshot.tree import tenant_dirs

RUNS_FILE = "runs.ndjson"
RUNS_DIR = "runs"  # on an object store: ROOT/<tenant>/runs/<run_id>.<line>.json
STARTED = "started"

log = logging.getLogger("entra_kri.runlog")


@dataclass
class RunRecord:
    """What one run did for one tenant: enough to answer "why did last night fail?"."""

    run_id: str
    tenant: str
    tenant_id: str
    started: str
    ended: str = ""
    outcome: str = STARTED  # started (until the run ends) | ok | failed
    snapshot_id: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    waited_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    kris: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


def run_record_path(tenant_dir: PurePath, record: RunRecord, storage: Storage = LOCAL) -> PurePath:
    """Where `record`'s line goes: the tenant's runs.ndjson, or on an object store the
    object of its own for this line (see the module's docstring)."""
    if storage.commits_by_manifest:
        number = 1 if record.outcome == STARTED else 2
        return tenant_dir / RUNS_DIR / f"{record.run_id}.{number}.json"
    return tenant_dir / RUNS_FILE


def append_run(tenant_dir: PurePath, record: RunRecord, storage: Storage = LOCAL) -> None:
    line = json.dumps(asdict(record), ensure_ascii=False) + "\n"
    path = run_record_path(tenant_dir, record, storage)
    if storage.commits_by_manifest:
        storage.create_only(path, line.encode())
        return
    tenant_dir.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(line)


def _run_lines(root: PurePath, storage: Storage) -> list[tuple[PurePath, list[str]]]:
    """Each tenant's run records under `root`, as (where, lines) in the order written."""
    if not storage.commits_by_manifest:
        return [(path, path.read_text(encoding="utf-8", errors="replace").splitlines())
                for path in sorted(root.glob(f"*/{RUNS_FILE}"))]
    found = []
    for tenant_dir in tenant_dirs(root, storage):
        runs_dir = tenant_dir / RUNS_DIR
        if storage.entry(runs_dir) is None:
            continue
        for name in storage.list_dir(runs_dir):  # <run_id>.1.json sorts before .2.json
            with storage.open_read(runs_dir / name) as stream:
                found.append((runs_dir / name, stream.read().decode("utf-8", "replace")
                              .splitlines()))
    return found


def read_runs(root: PurePath, storage: Storage = LOCAL) -> list[dict[str, Any]]:
    """Every run recorded under `root` (all tenants), oldest first: each run's last line."""
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    for path, lines in _run_lines(root, storage):
        for number, line in enumerate(lines, start=1):
            if line.strip():
                run = _parse_run(line)
                if run is None:
                    log.warning("%s line %d is not a run record (cut short by a full disk or "
                                "a killed process?): skipped", path, number)
                    continue
                runs[run["run_id"], run["tenant_id"]] = run
    return sorted(runs.values(), key=lambda r: r.get("started", ""))


def _parse_run(line: str) -> dict[str, Any] | None:
    """One line as a run record, fields a record lacks at their defaults; None if it is not one."""
    try:
        run = json.loads(line)
    except ValueError:
        return None
    if not isinstance(run, dict) or not all(isinstance(run.get(k), str)
                                            for k in ("run_id", "tenant_id", "started")):
        return None
    return {**asdict(RunRecord(run_id="", tenant="", tenant_id="", started="")), **run}
