"""The capture streams: its memory stays flat while the tenant grows tenfold.

Each capture runs in a child process (bench/child.py) with tracemalloc on, against the
fake in this process, so the peak is the capture's own Python heap, not the fake's. Not
timed. A capture that held the users (or any per-user collection) in memory would add
tens of MB between 2,000 and 20,000 users; a streaming one adds buffers at most.
"""

from __future__ import annotations

from pathlib import Path

from bench.run import run_child
from fake_graph import FakeGraph, allow_loopback, make_tenant
from tests.conftest import NOW

pytestmark = allow_loopback

SMALL, LARGE = 2_000, 20_000


def capture_peaks(users: int, root: Path) -> tuple[float, float]:
    """(tracemalloc peak, peak RSS) of a capture of a `users`-user tenant, in MB."""
    tenant = make_tenant(users, seed=5, now=NOW)
    with FakeGraph(tenant) as fake:
        run = run_child("capture", {
            "tenant_id": tenant.tenant_id, "client_id": tenant.client_id,
            "graph_url": fake.graph_url, "login_url": fake.login_url,
            "ca_bundle": fake.ca_bundle, "captured_at": NOW.isoformat(),
            "root": str(root), "tracemalloc": True,
        }, tenant.client_secret)
    return run.report["tracemalloc_peak_mb"], run.peak_rss_mb


def test_capture_memory_stays_flat_while_the_tenant_grows_tenfold(tmp_path):
    small_heap, small_rss = capture_peaks(SMALL, tmp_path / "small")
    large_heap, large_rss = capture_peaks(LARGE, tmp_path / "large")
    figures = (f"heap peak {small_heap:.1f} MB -> {large_heap:.1f} MB, "
               f"RSS peak {small_rss:.0f} MB -> {large_rss:.0f} MB")
    assert large_heap <= 1.5 * small_heap + 4, figures
    assert large_rss <= small_rss + 40, figures
