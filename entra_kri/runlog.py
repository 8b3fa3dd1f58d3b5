"""Run history: one NDJSON line per `entra-kri run` per tenant, under ROOT/<tenant>/runs.ndjson."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RUNS_FILE = "runs.ndjson"


@dataclass
class RunRecord:
    """What one run did for one tenant: enough to answer "why did last night fail?"."""

    run_id: str
    tenant: str
    tenant_id: str
    started: str
    ended: str = ""
    outcome: str = "failed"  # ok | failed
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
    """Every run recorded under `root` (all tenants), oldest first."""
    runs = []
    for path in sorted(root.glob(f"*/{RUNS_FILE}")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                runs.append(json.loads(line))
    return sorted(runs, key=lambda r: r.get("started", ""))
