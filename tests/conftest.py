"""Shared fixtures: a running fake tenant and a one-call capture against it; local object
stores (S3 on moto, Azure Blob on Azurite, GCS on tests/gcs_fake.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from entra_kri.snapshotter.capture import take_snapshot
from entra_kri.snapshotter.clouds import resolve_cloud
from entra_kri.snapshotter.retry import RetryPolicy
from entra_kri.snapshotter.session import Connection

from fake_graph import FakeGraph, FakeTenant, allow_loopback, make_demo_tenant
from tests.azurite import azure_root, azurite_endpoint  # noqa: F401 (fixtures)
from tests.gcs_fake import gcs_fake, gcs_root  # noqa: F401 (fixtures)
from tests.object_store import moto_endpoint, object_root, s3_root  # noqa: F401 (fixtures)

NOW = datetime(2026, 11, 27, 11, 6, 44, tzinfo=UTC)
DEMO_CASSETTE = Path(__file__).parent.parent / "fixtures" / "demo" / "cassette.yaml"
LOCAL_STORE_FIXTURES = {"moto_endpoint", "azurite_endpoint", "object_root", "gcs_fake"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-recording", action="store_true",
                     help="Re-record the demo cassette from the fake (make record-cassettes).")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test on a local object store (tests/object_store.py, tests/azurite.py,
    tests/gcs_fake.py) may reach 127.0.0.1."""
    for item in items:
        if LOCAL_STORE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(allow_loopback)


@pytest.fixture
def demo_tenant() -> FakeTenant:
    return make_demo_tenant(NOW)


@pytest.fixture
def fake(demo_tenant: FakeTenant) -> Iterator[FakeGraph]:
    with FakeGraph(demo_tenant) as server:
        yield server


class RecordedSleeps(list):
    """Stands in for time.sleep: remembers each wait instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> RecordedSleeps:
    return RecordedSleeps()


def fast_retry(sleeps: RecordedSleeps, **overrides: float) -> RetryPolicy:
    """The real policy, with waits recorded instead of slept and jitter at its ceiling."""
    return RetryPolicy(sleep=sleeps, jitter=lambda low, high: high, **overrides)


def connection_to(fake: FakeGraph, tenant: FakeTenant) -> Connection:
    return Connection(tenant.tenant_id, tenant.client_id,
                      resolve_cloud("global", fake.graph_url, fake.login_url), fake.ca_bundle)


def capture(fake: FakeGraph, tenant: FakeTenant, root: Path, *,
            retry: RetryPolicy | None = None, now: datetime = NOW) -> Path:
    """Capture the fake tenant with the library API, as `entra-kri snapshot` does."""
    connection = connection_to(fake, tenant)
    return take_snapshot(connection.client(tenant.client_secret, retry), connection, root, now,
                         timedelta(hours=24))


def manifest_of(snapshot: Path) -> dict:
    return json.loads((snapshot / "manifest.json").read_text())


def collection_entry(snapshot: Path, name: str) -> dict:
    return next(c for c in manifest_of(snapshot)["collections"] if c["name"] == name)
