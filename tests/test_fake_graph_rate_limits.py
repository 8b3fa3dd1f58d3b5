"""The fake's emulation of Graph's request budgets (fake_graph/rate_limits.py)."""

from __future__ import annotations

from fake_graph import FakeGraph, allow_loopback, make_demo_tenant
from fake_graph.client import FakeClient
from fake_graph.rate_limits import directory_units, graph_rate_limits
from fake_graph.traffic import TrafficLog
from tests.conftest import NOW


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_audit_logs_share_five_requests_per_ten_seconds():
    clock = Clock()
    limits = graph_rate_limits(users=1000, clock=clock)
    for path in ("/v1.0/auditLogs/signIns",) * 3 + ("/v1.0/auditLogs/directoryAudits",) * 2:
        assert limits.admit(path, ()) is None
        clock.now += 1
    refused = limits.admit("/v1.0/auditLogs/signIns", ())
    assert refused is not None and refused.status == 429
    assert refused.retry_after == "5"  # the first one leaves the window at t+10
    clock.now = 110.0
    assert limits.admit("/v1.0/auditLogs/directoryAudits", ()) is None
    assert limits.throttled == {"audit_logs": 1}


def test_conditional_access_allows_one_request_per_second_without_retry_after():
    clock = Clock()
    limits = graph_rate_limits(users=1000, clock=clock)
    path = "/v1.0/identity/conditionalAccess/policies"
    assert limits.admit(path, ()) is None
    refused = limits.admit(path, ())
    assert refused is not None and refused.retry_after is None
    clock.now += 1.0
    assert limits.admit(path, ()) is None


def test_other_paths_are_unlimited_unless_resource_units_are_asked_for():
    limits = graph_rate_limits(users=1000, clock=Clock())
    assert all(limits.admit("/v1.0/users", ()) is None for _ in range(10_000))
    units = graph_rate_limits(users=1000, directory=True, clock=Clock())
    admitted = sum(units.admit("/v1.0/users", (("$top", "999"),)) is None for _ in range(5000))
    assert admitted == 4000  # 8,000 units per 10 s, 2 units per GET users


def test_resource_unit_costs_follow_the_documented_table():
    assert directory_units("/v1.0/users", (("$top", "999"),)) == 2
    assert directory_units("/v1.0/users", (("$select", "id"), ("$top", "999"))) == 1
    assert directory_units("/v1.0/groups/g1/transitiveMembers", (("$top", "999"),)) == 5
    assert directory_units("/v1.0/groups/g1/transitiveMembers", (("$top", "5"),)) == 4
    assert directory_units("/v1.0/directoryRoles/r1/members", ()) == 1
    assert directory_units("/v1.0/users", (("$select", "id"), ("$top", "5"))) == 1


@allow_loopback
def test_the_fake_answers_429_over_budget_and_logs_its_traffic():
    tenant = make_demo_tenant(NOW)
    traffic = TrafficLog()
    with FakeGraph(tenant, rate_limits=graph_rate_limits(users=10), traffic=traffic) as fake:
        client = FakeClient(fake, tenant)
        token = client.token()
        audits = [client.get("/auditLogs/directoryAudits", token) for _ in range(6)]
        policies = [client.get("/identity/conditionalAccess/policies", token) for _ in range(2)]
    assert [r.status_code for r in audits] == [200] * 5 + [429]
    assert audits[-1].json()["error"]["code"] == "TooManyRequests"
    assert 1 <= int(audits[-1].headers["Retry-After"]) <= 10
    assert [r.status_code for r in policies] == [200, 429]
    assert "Retry-After" not in policies[1].headers
    logged = traffic.exchanges()
    assert [e.status for e in logged if e.is_graph] == [200] * 5 + [429, 200, 429]
    assert all(e.raw_bytes > 0 and e.finished >= e.started for e in logged)


def test_limits_are_off_by_default(demo_tenant):
    fake = FakeGraph(demo_tenant)
    assert fake.rate_limits is None and fake.traffic is None
