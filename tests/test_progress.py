"""Progress on stderr: per-collection pages/items and throttling, for people."""

from __future__ import annotations

import io

from entra_kri.snapshotter.http import RequestStats
from entra_kri.snapshotter.progress import CaptureObserver, capture_progress
from rich.console import Console

from fake_graph import allow_loopback
from tests.conftest import fast_retry


def test_disabled_progress_is_the_silent_observer():
    with capture_progress(RequestStats(), enabled=False) as observer:
        assert type(observer) is CaptureObserver


@allow_loopback
def test_progress_shows_collections_items_and_throttling(fake, demo_tenant, tmp_path, sleeps):
    fake.throttle("/users", 2, retry_after="1")
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=140)
    from entra_kri.snapshotter.capture import take_snapshot

    from tests.conftest import NOW, connection_to
    connection = connection_to(fake, demo_tenant)
    client = connection.client(demo_tenant.client_secret, fast_retry(sleeps))
    with capture_progress(client.stats, True, console) as observer:
        take_snapshot(client, connection, tmp_path, NOW, observer=observer)
    text = screen.getvalue()
    assert "users" in text and "sign_ins" in text and "pages" in text
    assert "2 throttled (429)" in text
