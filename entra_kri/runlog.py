"""Run history under ROOT/<tenant>/runs.ndjson: two NDJSON lines per `entra-kri run` per tenant.

The first line, outcome "started", is written when the tenant's run begins; the
second, with the same run id, when it ends. A run killed outright (kill -9, power
loss) keeps only its first line, and is listed as started, never finished.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RUNS_FILE = "runs.ndjson"
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


def append_run(tenant_dir: Path, record: RunRecord) -> None:
    tenant_dir.mkdir(parents=True, exist_ok=True)
    with (tenant_dir / RUNS_FILE).open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")


def read_runs(root: Path) -> list[dict[str, Any]]:
    """Every run recorded under `root` (all tenants), oldest first: each run's last line."""
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(root.glob(f"*/{RUNS_FILE}")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
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
