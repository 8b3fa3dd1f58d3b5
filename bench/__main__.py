"""`python -m bench`: capture and analysis figures on synthetic tenants (bench/README.md)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from bench.report import size_table, trend_table
from bench.run import REPO, Settings, bench_size, bench_trend, machine_info
from bench.tenants import SIZES


def _log(message: str) -> None:
    click.echo(message, err=True)


@click.command()
@click.option("--sizes", default=lambda: os.environ.get("SIZE") or "S,M", show_default="S,M",
              help="Comma-separated tenant sizes: S (1k users), M (100k), L (1M), or a number "
              "of users (e.g. 20000).")
@click.option("--latency", default=0.150, show_default=True,
              help="Seconds the fake waits before answering each request.")
@click.option("--seed", default=1, show_default=True, help="Seed of the synthetic tenants.")
@click.option("--trend-days", default=365, show_default=True,
              help="Daily S snapshots for the trend figures (0: skip).")
@click.option("--trend-budget", default=120.0, show_default=True,
              help="Seconds the cold trend may take; beyond, fewer days are measured and the "
              "cold figure is extrapolated.")
@click.option("--baseline/--no-baseline", default=True, show_default=True,
              help="Also run the plain-requests baseline capture (bench/baseline.py).")
@click.option("--directory-units/--no-directory-units", default=False, show_default=True,
              help="Also enforce the directory resource-unit budget.")
@click.option("--work", type=click.Path(path_type=Path), default=REPO / "bench" / "work",
              help="Where snapshots are written (removed and rewritten per size).")
@click.option("--results", type=click.Path(path_type=Path), default=REPO / "bench" / "results",
              help="Where the JSON results go.")
def main(sizes: str, latency: float, seed: int, trend_days: int, trend_budget: float,
         baseline: bool,
         directory_units: bool, work: Path, results: Path) -> None:
    """Benchmark capture and analysis on synthetic tenants against the Graph fake."""
    chosen = [s.strip().upper() for s in sizes.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SIZES and not (s.isdigit() and int(s) >= 20)]
    if unknown:
        raise click.BadParameter(
            f"unknown size {', '.join(unknown)}; use S, M, L or a number of users (>= 20)",
            param_hint="--sizes")
    settings = Settings(latency=latency, seed=seed, directory_units=directory_units,
                        baseline=baseline, work=work.resolve())
    report = {
        "machine": machine_info(),
        "settings": {"latency_seconds": latency, "seed": seed, "trend_days": trend_days,
                     "trend_budget_seconds": trend_budget,
                     "baseline": baseline, "directory_units": directory_units,
                     "rate_limits": "audit logs 5 req/10 s shared; Conditional Access 1 req/s"
                     + (("; directory resource units") if directory_units else "")},
        "sizes": {},
    }
    for size in chosen:
        report["sizes"][size] = bench_size(size, settings, _log)
        click.echo(size_table(report["sizes"][size], latency) + "\n")
    if trend_days > 0:
        if "S" not in report["sizes"]:
            report["sizes"]["S"] = bench_size("S", settings, _log)
        small = report["sizes"]["S"]
        report["trend"] = bench_trend(REPO / small["capture"]["snapshot"], trend_days,
                                      small["analysis"]["seconds"], settings.work,
                                      trend_budget, _log)
        click.echo(trend_table(report["trend"]) + "\n")
    results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = results / f"bench-{stamp}-{'-'.join(chosen)}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    click.echo(f"results: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")


if __name__ == "__main__":
    sys.exit(main())
