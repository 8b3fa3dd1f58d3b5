"""A realistic local fake of Microsoft Graph v1.0 and the Entra token endpoint, for tests.

tenant = make_demo_tenant(now)
with FakeGraph(tenant) as fake:
    ...  # point the capture client at fake.login_url / fake.graph_url / fake.ca_bundle
"""

from pathlib import Path

from .demo_tenant import make_demo_tenant
from .generated_tenant import make_tenant
from .markers import allow_loopback
from .oracle import expected_kris
from .server import FakeGraph, RecordedRequest
from .tenant import ALL_APP_ROLES, FakeTenant

# Microsoft's JSON Schemas of the Graph types the fake serves (schemas/README.md).
SCHEMA_DIR = Path(__file__).parent / "schemas"

__all__ = [
    "ALL_APP_ROLES",
    "SCHEMA_DIR",
    "FakeGraph",
    "FakeTenant",
    "RecordedRequest",
    "allow_loopback",
    "expected_kris",
    "make_demo_tenant",
    "make_tenant",
]
