"""Run one benchmark size, and the trend: the fake in this process, each measured job in a
child process (bench/child.py) whose peak RSS is read from `os.wait4`."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from entra_kri.analysis.history import HISTORY_FILE
from entra_kri.snapshotter.collections import window_filter

from bench.child import SECRET_VARIABLE
from bench.critical_path import critical_path
from bench.series import make_series
from bench.tenants import NOW, SIZES, TenantShape, bench_tenant, group_parents
from entra_kri.snapshot.chain import verify_tenant
from fake_graph import FakeGraph, FakeTenant
from fake_graph.client import FakeClient
from fake_graph.rate_limits import graph_rate_limits
from fake_graph.traffic import TrafficLog

REPO = Path(__file__).resolve().parent.parent
WINDOW = timedelta(hours=24)
FAILURES_ONLY = " and status/errorCode ne 0"


@dataclass(frozen=True)
class Settings:
    """What every size of one benchmark run shares."""

    latency: float
    seed: int
    directory_units: bool
    baseline: bool
    work: Path


@dataclass(frozen=True)
class ChildRun:
    """A child job's own report, and what the kernel says it used."""

    report: dict[str, Any]
    peak_rss_mb: float
    cpu_seconds: float


def run_child(job: str, spec: dict[str, Any], secret: str | None = None) -> ChildRun:
    """Run `python -m bench.child job spec` and return its report and resource usage."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    if secret is not None:
        env[SECRET_VARIABLE] = secret
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "bench.child", job, json.dumps(spec)],
                                cwd=REPO, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"bench child {job} failed ({proc.returncode}):\n{stderr[-3000:]}")
    return ChildRun(json.loads(stdout.strip().splitlines()[-1]), usage.ru_maxrss / 1024,
                    usage.ru_utime + usage.ru_stime)


def machine_info() -> dict[str, Any]:
    """Where the figures come from."""
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                  if line.startswith("model name")]
        info["cpu_model"] = models[0] if models else None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = next(line for line in meminfo.read_text().splitlines()
                     if line.startswith("MemTotal"))
        info["memory_gb"] = round(int(total.split()[1]) / 2**20, 1)
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=REPO, capture_output=True, text=True).stdout.strip()
        info["git"] = commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        info["git"] = None
    return info


def warm_up(fake: FakeGraph, tenant: FakeTenant) -> None:
    """Let the fake index the sign-in and audit windows the capture will ask for.

    The fake scans its whole log the first time it sees a window filter (a cost real
    Graph does not pass on); doing it now keeps it out of the measured capture.
    """
    client = FakeClient(fake, tenant)
    token = client.token()
    start = tenant.now - WINDOW
    for path, stamp, extra in (("/auditLogs/signIns", "createdDateTime", FAILURES_ONLY),
                               ("/auditLogs/directoryAudits", "activityDateTime", "")):
        filter_ = window_filter(stamp, start, tenant.now) + extra
        client.get(path, token, params={"$filter": filter_, "$top": "1"}).raise_for_status()


def _tenant_figures(tenant: FakeTenant, shape: TenantShape) -> dict[str, int]:
    return {
        "users": shape.users,
        "registrations": shape.registrations,
        "sign_ins_in_window": shape.sign_ins,
        "failed_sign_ins_in_window": shape.failed_sign_ins,
        "directory_audits": shape.audits,
        "activated_roles": len(tenant.directory_roles),
        "role_members": sum(len(m) for m in tenant.role_members.values()),
        "groups": len(tenant.group_transitive_members),
        "group_members": sum(len(m) for m in tenant.group_transitive_members.values()),
        "ca_policies": len(tenant.ca_policies),
    }


def _ratio(value: float, reference: float) -> float | None:
    return round(value / reference, 3) if reference else None


def users_of(size: str) -> int:
    """The users of a size: S, M or L, or a number of users such as 20000."""
    return SIZES[size] if size in SIZES else int(size)


def _capture_figures(capture: ChildRun, exchanges: list[Any], path: Any, throttled: dict,
                     fake_cpu: float) -> dict[str, Any]:
    snapshot = Path(capture.report["snapshot"])
    graph_ok = [e for e in exchanges if e.is_graph and e.status == 200]
    return {
        "seconds": capture.report["seconds"],
        "critical_path_seconds": round(path.seconds, 3),
        "ratio_to_critical_path": _ratio(capture.report["seconds"], path.seconds),
        "critical_path_served_seconds": round(path.served_seconds, 3),
        "ratio_to_served_critical_path": _ratio(capture.report["seconds"], path.served_seconds),
        "bound_by": path.bound_by,
        "peak_rss_mb": round(capture.peak_rss_mb, 1),
        "rss_before_work_mb": capture.report["rss_before_work_mb"],
        "cpu_seconds": round(capture.cpu_seconds, 2),
        "fake_cpu_seconds": round(fake_cpu, 2),
        "requests": len(exchanges),
        "graph_requests_ok": len(graph_ok),
        "throttled": throttled,
        "client_stats": capture.report.get("client_stats"),
        "load_average": round(os.getloadavg()[0], 2),
        "snapshot": str(snapshot.relative_to(REPO) if snapshot.is_relative_to(REPO)
                        else snapshot),
    }


def bench_capture(size: str, users_bound: bool, settings: Settings, work: Path,
                  log: Any = print) -> dict[str, Any]:
    """One capture of a size's tenant (audit-bound, or users-bound: few sign-ins and
    audits) against the fake, with its critical path; and the baseline capture of the
    audit-bound tenant when the settings ask for it."""
    users = users_of(size)
    shape = TenantShape(users, users_bound)
    tenant = bench_tenant(users, settings.seed, NOW, users_bound=users_bound)
    limits = graph_rate_limits(users=users, directory=settings.directory_units)
    traffic = TrafficLog()
    label = f"[{size}{' users-bound' if users_bound else ''}]"
    result: dict[str, Any] = {"tenant": _tenant_figures(tenant, shape)}
    with FakeGraph(tenant, latency=settings.latency, rate_limits=limits,
                   traffic=traffic) as fake:
        spec = {"tenant_id": tenant.tenant_id, "client_id": tenant.client_id,
                "graph_url": fake.graph_url, "login_url": fake.login_url,
                "ca_bundle": fake.ca_bundle, "captured_at": NOW.isoformat()}
        log(f"{label} warming the fake's sign-in index ...")
        warm_up(fake, tenant)
        limits.reset()
        traffic.clear()
        log(f"{label} capture ...")
        fake_cpu = time.process_time()
        capture = run_child("capture", {**spec, "root": str(work / "snapshots")},
                            tenant.client_secret)
        fake_cpu = time.process_time() - fake_cpu
        exchanges = traffic.exchanges()
        throttled = dict(limits.throttled)
        path = critical_path(exchanges, settings.latency, limits.budgets, group_parents(tenant))
        if settings.baseline and not users_bound:
            limits.reset()
            traffic.clear()
            log(f"{label} baseline capture ...")
            baseline = run_child("baseline", {**spec, "root": str(work / "baseline")},
                                 tenant.client_secret)
            result["baseline"] = {
                "seconds": baseline.report["seconds"],
                "peak_rss_mb": round(baseline.peak_rss_mb, 1),
                "requests": baseline.report["requests"],
                "throttled": baseline.report["throttled"],
                "waited_seconds": baseline.report["waited_seconds"],
                "bytes_on_disk": baseline.report["bytes_on_disk"],
                "ratio_to_capture": _ratio(baseline.report["seconds"],
                                           capture.report["seconds"]),
            }
    result["capture"] = _capture_figures(capture, exchanges, path, throttled, fake_cpu)
    graph_ok = [e for e in exchanges if e.is_graph and e.status == 200]
    snapshot = Path(capture.report["snapshot"])
    raw = sum(e.raw_bytes for e in graph_ok)
    disk = sum(f.stat().st_size for f in snapshot.iterdir())
    result["snapshot"] = {"disk_bytes": disk, "raw_json_bytes": raw,
                          "wire_bytes": sum(e.wire_bytes for e in graph_ok),
                          "ratio": _ratio(disk, raw)}
    result["critical_path"] = path.as_dict()
    return result


def bench_size(size: str, settings: Settings, log: Any = print) -> dict[str, Any]:
    """Both tenant shapes of one size, then analysis of the audit-bound snapshot; the
    snapshots stay under work/size."""
    started = time.monotonic()
    work = settings.work / size
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    result: dict[str, Any] = {"size": size,
                              **bench_capture(size, False, settings, work, log)}
    users_bound = bench_capture(size, True, settings, work / "users-bound", log)
    result["users_bound"] = {"tenant": users_bound["tenant"],
                             "capture": users_bound["capture"],
                             "critical_path": users_bound["critical_path"]}
    snapshot = REPO / result["capture"]["snapshot"]
    log(f"[{size}] analysis ...")
    analysis = run_child("analysis", {"snapshot": str(snapshot)})
    scan = run_child("scan", {"snapshot": str(snapshot)})
    ca = run_child("ca_resolver", {"snapshot": str(snapshot)})
    result["analysis"] = {
        "seconds": analysis.report["seconds"],
        "verify_seconds": analysis.report["verify_seconds"],
        "ca_resolver_seconds": ca.report["seconds"],
        "scan_seconds": scan.report["seconds"],
        "ratio_to_scan": _ratio(analysis.report["seconds"], scan.report["seconds"]),
        "peak_rss_mb": round(analysis.peak_rss_mb, 1),
        "scan_peak_rss_mb": round(scan.peak_rss_mb, 1),
        "rss_before_work_mb": analysis.report["rss_before_work_mb"],
        "kris": analysis.report["kris"],
        "scan_rows": scan.report["rows"],
    }
    result["bench_seconds"] = round(time.monotonic() - started, 1)
    return result


def trend_days_within(days: int, single_seconds: float, budget: float) -> int:
    """How many of `days` snapshots a cold trend can compute within `budget` seconds, if
    it computes them one after another at `single_seconds` each (at least 7)."""
    if days * single_seconds <= budget:
        return days
    return min(days, max(7, int(budget / single_seconds)))


def bench_trend(snapshot: Path, days: int, single_seconds: float, work: Path,
                budget: float, log: Any = print) -> dict[str, Any]:
    """Trend over daily copies of `snapshot`: cold (no cache), then warm.

    With a cold run that would not fit `budget`, fewer days are used, and the cold figure
    for `days` is extrapolated from them (marked so in the result).
    """
    used = trend_days_within(days, single_seconds, budget)
    log(f"[trend] {used} daily snapshots" + (f" (of {days}: time budget)" if used < days else "")
        + " ...")
    root = work / "trend"
    tenant_dir = make_series(snapshot, root, used)
    problems = verify_tenant(tenant_dir).all_problems
    if problems:
        raise RuntimeError(f"the trend series does not verify: {problems[0]}")
    (tenant_dir / HISTORY_FILE).unlink(missing_ok=True)
    log("[trend] cold ...")
    cold = run_child("trend", {"root": str(root)})
    log("[trend] warm ...")
    warm = run_child("trend", {"root": str(root)})
    cores = os.cpu_count() or 1
    cold_seconds = cold.report["seconds"] * days / used
    cold_target = 2 * days * single_seconds / cores
    return {
        "snapshots": days,
        "snapshots_measured": used,
        "cold_extrapolated": used < days,
        "cold_seconds": round(cold_seconds, 2),
        "cold_measured_seconds": cold.report["seconds"],
        "warm_seconds": warm.report["seconds"],
        "computed_cold": cold.report["computed"],
        "computed_warm": warm.report["computed"],
        "single_snapshot_seconds": single_seconds,
        "cold_target_seconds": round(cold_target, 1),
        "cold_ratio_to_target": _ratio(cold_seconds, cold_target),
        "cold_peak_rss_mb": round(cold.peak_rss_mb, 1),
        "warm_peak_rss_mb": round(warm.peak_rss_mb, 1),
    }
