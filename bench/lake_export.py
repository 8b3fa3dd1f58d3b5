"""`python -m bench.lake_export`: `entra-kri lake export` timed on a generated fleet.

One snapshot (the demo cassette replayed, or --snapshot) becomes TENANTS tenants of
DAYS daily snapshots each (`bench.series.make_series`, each copy under its own tenant
id), and the export is timed three times: the first export of everything, the same
export again with nothing new, and one new day per tenant. Each figure comes with the
files and rows the lake then holds and the load average, since the machine is shared.

With `--store s3` the same snapshots are also uploaded to a bucket on moto's S3 server
(127.0.0.1, a process of its own) and each of the three exports is run again from
`s3://` into a lake of its own right after the local one, so that both meet the same
machine load; the two lakes must hold the same rows.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePath
from typing import Any

import click
import duckdb
from click.testing import CliRunner
from entra_kri.analysis.lake import export_lake

from bench.object_capture import FAKE_AWS, moto_server
from bench.run import REPO, machine_info
from bench.series import make_series
from entra_kri.cli import cli
from entra_kri.snapshot.object_storage import ObjectStorage, key_of
from entra_kri.snapshot.roots import open_root

DEMO_CASSETTE = REPO / "fixtures" / "demo" / "cassette.yaml"


def fleet_tenant_id(index: int) -> str:
    return f"00000000-0000-4000-8000-{index:012d}"


def replayed_demo(work: Path) -> Path:
    """The demo tenant's snapshot, replayed from its cassette (no network)."""
    result = CliRunner().invoke(cli, ["snapshot", "--replay", str(DEMO_CASSETTE),
                                      "--out", str(work / "demo")])
    if result.exit_code != 0:
        raise click.ClickException(f"replaying the demo cassette failed: {result.output}")
    return Path(result.stdout.strip())


def lake_figures(lake: Path) -> dict[str, Any]:
    """Files, bytes and rows the lake holds, per dataset and in all."""
    datasets = sorted(d for d in lake.iterdir() if d.is_dir())
    rows = {d.name: duckdb.sql(f"select count(*) from read_parquet('{d}/**/*.parquet')")
            .fetchall()[0][0] for d in datasets}
    files = list(lake.rglob("*.parquet"))
    return {"datasets": len(datasets), "files": len(files),
            "bytes": sum(f.stat().st_size for f in files),
            "rows": sum(rows.values()), "kri_values_rows": rows.get("kri_values", 0)}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the --jobs workers)."""
    own, children = (resource.getrusage(who) for who in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_export(root: PurePath, lake: Path, jobs: int) -> dict[str, Any]:
    """One export, timed in wall-clock and CPU seconds (the CPU figure suffers less from
    other jobs on the machine), with what the lake holds after it."""
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    exported = present = refused = 0
    for tenant in export_lake(root, lake, jobs):
        exported += len(tenant.exported)
        present += tenant.present
        refused += len(tenant.problems)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    return {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "exported": exported,
            "already_there": present, "refused": refused,
            "seconds_per_exported_snapshot": round(seconds / exported, 3) if exported else None,
            "cpu_seconds_per_exported_snapshot": round(cpu / exported, 3) if exported else None,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            **lake_figures(lake)}


@contextmanager
def moto_bucket(scratch: Path) -> Iterator[str]:
    """`s3://<new bucket>/root` on a moto server started for the benchmark, with this
    process's AWS_* variables (which the --jobs workers inherit) pointing at it only."""
    nowhere = str(scratch / "none")  # no AWS configuration of the machine's user
    settings = {**FAKE_AWS, "AWS_CONFIG_FILE": nowhere, "AWS_SHARED_CREDENTIALS_FILE": nowhere,
                "AWS_EC2_METADATA_DISABLED": "true"}
    saved = {name: os.environ.get(name) for name in [*settings, "AWS_ENDPOINT_URL"]}
    with moto_server() as endpoint:
        os.environ.update({**settings, "AWS_ENDPOINT_URL": endpoint})
        try:
            url = f"s3://bench-{uuid.uuid4().hex[:12]}/root"
            storage, key = in_store(url)
            storage.fs.mkdir(key.partition("/")[0])
            yield url
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def in_store(url: str) -> tuple[ObjectStorage, str]:
    """The store of `url` and its bucket and key."""
    root = open_root(url)
    assert isinstance(root.storage, ObjectStorage)
    return root.storage, key_of(root.path)


def upload(local: Path, url: str) -> None:
    """Every file under `local` to the same relative key under `url`."""
    storage, key = in_store(url)
    files = [path for path in sorted(local.rglob("*")) if path.is_file()]
    storage.fs.put([str(path) for path in files],
                   [f"{key}/{path.relative_to(local).as_posix()}" for path in files])


@click.command()
@click.option("--tenants", default=10, show_default=True)
@click.option("--days", default=10, show_default=True)
@click.option("--jobs", default=1, show_default=True, help="`lake export --jobs`.")
@click.option("--snapshot", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="The snapshot each tenant copies [default: the demo cassette, replayed].")
@click.option("--store", type=click.Choice(["s3"]),
              help="Also export the same snapshots from this store (moto on 127.0.0.1), "
                   "each export right after the local one.")
def main(tenants: int, days: int, jobs: int, snapshot: Path | None, store: str | None) -> None:
    """Time `lake export` on TENANTS x DAYS daily snapshots: first, again, one new day."""
    report: dict[str, Any] = {"machine": machine_info(),
                              "settings": {"tenants": tenants, "days": days, "jobs": jobs,
                                           "store": store}}
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as scratch, ExitStack() as stack:
        work = Path(scratch)
        base = snapshot or replayed_demo(work)
        root, held, lake = work / "root", work / "held", work / "lake"
        for index in range(tenants):
            tenant_dir = make_series(base, root, days + 1, tenant_id=fleet_tenant_id(index))
            newest = max(tenant_dir.iterdir())  # held back: the next day's snapshot
            (held / tenant_dir.name).mkdir(parents=True)
            newest.rename(held / tenant_dir.name / newest.name)
        report["snapshot_bytes"] = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
        exports: dict[str, tuple[PurePath, Path]] = {"local": (root, lake)}
        if store:
            url = stack.enter_context(moto_bucket(work))
            started = time.perf_counter()
            upload(root, url)
            report["upload_seconds"] = round(time.perf_counter() - started, 2)
            exports[store] = (open_root(url).path, work / f"lake-{store}")
            report[store] = {}

        def export_all(phase: str, title: str) -> None:
            for kind, (source, target) in exports.items():
                figures = timed_export(source, target, jobs)
                (report if kind == "local" else report[kind])[phase] = figures
                click.echo(f"{title} ({kind}): {figures}", err=True)

        export_all("first", "first export")
        export_all("again", "again, nothing new")
        for newest in held.glob("*/*"):
            newest.rename(root / newest.parent.name / newest.name)
            if store:
                upload(root / newest.parent.name / newest.name,
                       f"{url}/{newest.parent.name}/{newest.name}")
        export_all("one_new_day", "one new day per tenant")
        # Bytes may differ: rows of one snapshot are in no set order within a file.
        if store and ({**lake_figures(exports[store][1]), "bytes": 0}
                      != {**lake_figures(lake), "bytes": 0}):
            raise click.ClickException(f"the lake exported from {store} holds other files or "
                                       "rows than the local one")
    click.echo(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
