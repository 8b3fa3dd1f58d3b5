"""`python -m bench.object_capture`: capture to an object store against capture to local disk.

The same synthetic tenant (bench/tenants.py, S by default), served by the Graph fake with
Graph's latency and rate limits, is captured with `entra-kri snapshot --out ROOT`, in
turn to a local directory and to `s3://` on a moto S3 server on 127.0.0.1, ROUNDS times
each, alternating, so that both meet the same machine load. Each capture is one
`entra-kri` process, timed from start to exit (process start and imports included in
both). Prints JSON: every run's seconds, and the median of each kind.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from bench.run import machine_info, users_of, warm_up
from bench.tenants import bench_tenant
from fake_graph import FakeGraph
from fake_graph.rate_limits import graph_rate_limits

FAKE_AWS = {"AWS_ACCESS_KEY_ID": "bench-key-id", "AWS_SECRET_ACCESS_KEY": "bench-secret-key",
            "AWS_DEFAULT_REGION": "us-east-1"}


MOTO_CHILD = """
import logging, sys
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print("%s:%d" % server.get_host_and_port(), flush=True)
sys.stdin.read()
server.stop()
"""


@contextmanager
def moto_server() -> Iterator[str]:
    """The URL of moto's S3 server (the dev extra has moto), in a process of its own as
    a real store would be, not competing with the fake for this process's GIL."""
    child = subprocess.Popen([sys.executable, "-c", MOTO_CHILD], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        yield f"http://{child.stdout.readline().strip()}"
    finally:
        child.communicate("")


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds an `entra-kri ARGS` process took, from start to exit, and what it printed;
    it must succeed."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "entra_kri.cli", *args], env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise click.ClickException(
            f"entra-kri {args[1]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout.strip()


@click.command()
@click.option("--size", default="S", show_default=True, help="S, M, L or a number of users.")
@click.option("--rounds", default=3, show_default=True)
@click.option("--latency", default=0.150, show_default=True)
def main(size: str, rounds: int, latency: float) -> None:
    """Capture one synthetic tenant ROUNDS times to local disk and to S3 (moto), alternating."""
    import boto3  # moto's own dependency: makes the bucket

    users = users_of(size)
    tenant = bench_tenant(users, now=datetime.now(UTC))
    limits = graph_rate_limits(users=users)
    report: dict[str, Any] = {"machine": machine_info(),
                              "settings": {"size": size, "users": users, "rounds": rounds,
                                           "latency_seconds": latency}}
    runs: dict[str, list[float]] = {"local": [], "s3": []}
    with moto_server() as endpoint, \
            tempfile.TemporaryDirectory(prefix="bench-object-") as scratch, \
            FakeGraph(tenant, latency=latency, rate_limits=limits) as fake:
        nowhere = str(Path(scratch) / "none")  # no AWS configuration of the machine's user
        env = {**os.environ, **FAKE_AWS, "ENTRA_KRI_CLIENT_SECRET": tenant.client_secret,
               "AWS_ENDPOINT_URL": endpoint, "AWS_CONFIG_FILE": nowhere,
               "AWS_SHARED_CREDENTIALS_FILE": nowhere}
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        s3 = boto3.client("s3", endpoint_url=endpoint,
                          aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
                          region_name="us-east-1")
        s3.create_bucket(Bucket=bucket)
        warm_up(fake, tenant)
        common = ["-q", "snapshot", "--tenant-id", tenant.tenant_id,
                  "--client-id", tenant.client_id, "--graph-url", fake.graph_url,
                  "--login-url", fake.login_url, "--ca-bundle", str(fake.ca_bundle)]
        for index in range(rounds):
            for kind in ("local", "s3"):
                root = (str(Path(scratch) / f"local-{index}") if kind == "local"
                        else f"s3://{bucket}/round-{index}")
                limits.reset()
                seconds, _ = run_cli([*common, "--out", root], env)
                if kind == "local":  # committed: the manifest, written last, is there
                    committed = list(Path(root).glob("*/*/manifest.json"))
                else:
                    listing = s3.list_objects_v2(Bucket=bucket, Prefix=f"round-{index}/")
                    committed = [o["Key"] for o in listing.get("Contents", [])
                                 if o["Key"].endswith("/manifest.json")]
                if len(committed) != 1:
                    raise click.ClickException(f"the {kind} capture left no snapshot")
                runs[kind].append(round(seconds, 2))
                click.echo(f"{kind} capture {index + 1}: {seconds:.2f} s "
                           f"(load {os.getloadavg()[0]:.1f})", err=True)
    report["runs_seconds"] = runs
    report["median_seconds"] = {k: round(statistics.median(v), 2) for k, v in runs.items()}
    report["s3_over_local"] = round(report["median_seconds"]["s3"]
                                    / report["median_seconds"]["local"], 3)
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    click.echo(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
