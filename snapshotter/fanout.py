"""Many requests for one collection at once, written in a fixed order.

Each job streams its pages into its own local spool file (in the partial
snapshot, or a temporary directory when the snapshot goes to an object store);
once every job is done the spools are appended to the collection file in job
order. The file is then the same whatever order Graph answered in, and memory
holds a page per worker, not a collection.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from entra_kri.snapshotter.writer import CollectionFile, encode_line

Job = TypeVar("Job")
Result = TypeVar("Result")


SPOOL_BLOCK = 1 << 20  # bytes of a spool handed to the collection file at once


class Spool:
    """An uncompressed NDJSON scratch file with the same `write_page` as a CollectionFile."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = path.open("wb")
        self.items = 0

    def write_page(self, objects: Sequence[dict[str, Any]]) -> None:
        self._out.write(b"".join(map(encode_line, objects)))
        self.items += len(objects)

    def close(self) -> None:
        self._out.close()


def fan_out(jobs: Sequence[Job], work: Callable[[Job, Spool], Result], out: CollectionFile,
            workers: int) -> list[Result]:
    """`work(job, spool)` for every job, `workers` at a time; results in job order.

    The first exception is raised once every job has stopped (callers cancel the
    others through the capture's cancel event); the spools are always removed.
    """
    spools = [Spool(out.scratch_dir / f".{out.path.name}.{i}.spool") for i in range(len(jobs))]
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
            futures = [pool.submit(_run, work, job, spool) for job, spool in zip(jobs, spools,
                                                                                  strict=True)]
        results = [future.result() for future in futures]
        for spool in spools:
            with spool.path.open("rb") as lines:
                for block in iter(lambda: lines.read(SPOOL_BLOCK), b""):
                    out.write_lines(block, block.count(b"\n"))
        return results
    finally:
        for spool in spools:
            spool.path.unlink(missing_ok=True)


def _run(work: Callable[[Job, Spool], Result], job: Job, spool: Spool) -> Result:
    try:
        return work(job, spool)
    finally:
        spool.close()
