"""Records fixtures/demo/cassette.yaml from the fake demo tenant (`make record-cassettes`).

The fake answers under the real Graph and login host names (route_real_hosts),
so the cassette carries them; the capture time is pinned to the demo tenant's
own "now" so the recorded KRIs are exactly the oracle's.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest
from entra_kri.snapshotter import cassette
from entra_kri.snapshotter.capture import take_snapshot
from entra_kri.snapshotter.clouds import resolve_cloud
from entra_kri.snapshotter.session import Connection

from entra_kri.config import TenantSettings
from fake_graph import FakeGraph, allow_loopback, make_demo_tenant
from tests.conftest import DEMO_CASSETTE

DEMO_NOW = datetime(2026, 11, 20, 9, 0, 0, tzinfo=UTC)


@allow_loopback
def test_record_demo_cassette(request, tmp_path):
    if not request.config.getoption("--run-recording"):
        pytest.skip("records cassettes only with --run-recording (make record-cassettes)")
    tenant = make_demo_tenant(DEMO_NOW)
    cloud = resolve_cloud("global")
    with FakeGraph(tenant) as fake, fake.route_real_hosts(), \
            cassette.recording(DEMO_CASSETTE) as tape:
        settings = TenantSettings("demo", tenant.tenant_id, tenant.client_id)
        cassette.record_run(tape, DEMO_NOW, asdict(settings))
        connection = Connection(tenant.tenant_id, tenant.client_id, cloud, fake.ca_bundle)
        take_snapshot(connection.client(tenant.client_secret), connection, tmp_path, DEMO_NOW,
                      timedelta(hours=24), workers=1)
    assert DEMO_CASSETTE.stat().st_size > 0
