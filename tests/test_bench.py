"""The benchmark's own arithmetic and fixtures (bench/): the critical path, the trend series,
the bench tenants."""

from __future__ import annotations

import gzip
import json
import os
import re
from datetime import timedelta
from pathlib import Path

import entra_kri.analysis as analysis_package
import pytest
from click.testing import CliRunner
from entra_kri.analysis.compute import compute_kris

from bench import ca_resolver
from bench.child import typed_reads
from bench.critical_path import critical_path
from bench.lake_export import main as lake_export_bench
from bench.series import make_series, shift_stamp
from bench.tenants import WINDOW, TenantShape, bench_tenant, group_parents
from entra_kri.snapshot.chain import verify_tenant
from fake_graph import allow_loopback
from fake_graph.odata import parse_time
from fake_graph.rate_limits import graph_rate_limits
from fake_graph.traffic import Exchange
from tests.conftest import capture, manifest_of

L = 0.1


def exchange(path: str, status: int = 200, method: str = "GET") -> Exchange:
    return Exchange(method, path, (), status, 10, 5, 0.0, L)


def traffic(audit_pages: int) -> list[Exchange]:
    return [
        exchange("/tenant/oauth2/v2.0/token", method="POST"),
        *[exchange("/v1.0/users")] * 3,
        exchange("/v1.0/directoryRoles"),
        exchange("/v1.0/directoryRoles/r1/members"),
        *[exchange("/v1.0/groups/g1/transitiveMembers")] * 2,
        *[exchange("/v1.0/auditLogs/signIns")] * 12,
        exchange("/v1.0/auditLogs/signIns", status=429),
        *[exchange("/v1.0/auditLogs/directoryAudits")] * audit_pages,
    ]


def test_without_budgets_the_longest_dependent_chain_sets_the_critical_path():
    directory = [e for e in traffic(1) if "auditLogs" not in e.path]
    path = critical_path(directory, L, (), {"g1": ["/directoryRoles/r1/members"]})
    # token, /directoryRoles, its role's members, the group's two pages
    assert round(path.seconds, 6) == round(5 * L, 6)
    assert path.bound_by == "chain /groups/g1/transitivemembers"
    assert critical_path(traffic(1), L, (), {}).requests == 20  # the 429 is no step


def test_a_shared_budget_bounds_the_collections_it_covers_together():
    budgets = graph_rate_limits(users=1000).budgets
    alone = critical_path(traffic(1), L, budgets, {})
    # sign-ins alone: 12 requests at 5 per 10 s -> the 11th waits two windows
    assert round(alone.seconds, 6) == round(L + 20 + L, 6)
    shared = critical_path(traffic(4), L, budgets, {})
    # 16 requests share the budget: the 16th waits three windows
    assert round(shared.seconds, 6) == round(L + 30 + L, 6)
    assert shared.bound_by == "budget audit_logs (16 units)"


def test_shifting_a_timestamp_keeps_its_precision():
    shifted = shift_stamp("2026-11-27T10:00:00.1234567Z", -timedelta(days=2))
    assert shifted == "2026-11-25T10:00:00.1234567Z"


@allow_loopback
def test_a_series_of_shifted_snapshots_verifies_and_keeps_its_kris(fake, demo_tenant, tmp_path):
    snapshot = capture(fake, demo_tenant, tmp_path / "capture")
    tenant_dir = make_series(snapshot, tmp_path / "series", 3)
    chain = verify_tenant(tenant_dir)
    assert chain.all_problems == []
    days = [check.path for check in chain.snapshots]
    assert [p.name for p in days] == ["20261125T110644Z", "20261126T110644Z", snapshot.name]
    assert manifest_of(days[0])["captured_at"] == "2026-11-25T11:06:44Z"
    first, original = (json.loads(gzip.decompress((d / "sign_ins.ndjson.gz").read_bytes())
                                  .splitlines()[0]) for d in (days[0], snapshot))
    assert first["createdDateTime"][:10] == "2026-11-25"
    assert first["createdDateTime"][10:] == original["createdDateTime"][10:]
    windowed = ["entra_failed_signins_24h", "entra_priv_role_changes_24h"]
    values = [[k.value for k in compute_kris(day, kris=windowed).kris]
              for day in (days[0], snapshot)]
    assert values[0] == values[1] != [0, 0]


def test_bench_tenants_hold_what_the_readme_says():
    tenant = bench_tenant(2000, seed=3)
    shape = TenantShape(2000)
    assert len(tenant.users) == 2000 and len(tenant.registration_details) == 1900
    assert len(tenant.directory_roles) == 40 and len(tenant.ca_policies) == 30
    failed = [s for s in tenant.sign_ins if s["status"]["errorCode"] != 0]
    assert len(failed) == shape.failed_sign_ins == 400
    assert all(tenant.now - WINDOW <= parse_time(s["createdDateTime"]) <= tenant.now
               for s in failed)
    parents = group_parents(tenant)
    assert set(parents) == set(tenant.group_transitive_members)
    assert bench_tenant(2000, seed=3).users[1234] == tenant.users[1234]



def test_a_users_bound_tenant_has_the_same_users_and_few_sign_ins_and_audits():
    quiet = bench_tenant(20_000, seed=3, users_bound=True)
    busy = bench_tenant(20_000, seed=3)
    assert len(quiet.users) == len(busy.users) and quiet.users[777] == busy.users[777]
    assert len(quiet.sign_ins) == 200 and len(quiet.directory_audits) == 20
    assert len(busy.sign_ins) == 20_000


def test_the_typed_scan_reads_what_each_staging_file_reads():
    staging = Path(analysis_package.__file__).parent / "sql" / "staging"
    sql = (staging / "stg_users.sql").read_text()
    (call,) = typed_reads(sql)
    assert call.startswith("read_json(") and call.endswith(")")
    assert "'signInActivity': 'struct(\"lastSignInDateTime\" varchar)'" in call
    assert call.count("(") == call.count(")")
    reads = [c for f in staging.glob("*.sql") for c in typed_reads(f.read_text())]
    assert len(reads) == sum("read_json(" in f.read_text() for f in staging.glob("*.sql"))


@allow_loopback
def test_a_series_under_another_tenant_id_verifies_as_that_tenant(fake, demo_tenant, tmp_path):
    snapshot = capture(fake, demo_tenant, tmp_path / "capture")
    other = "00000000-0000-4000-8000-000000000007"
    tenant_dir = make_series(snapshot, tmp_path / "fleet", 2, tenant_id=other)
    assert tenant_dir == tmp_path / "fleet" / other
    chain = verify_tenant(tenant_dir)
    assert chain.all_problems == []
    assert [manifest_of(check.path)["tenant_id"] for check in chain.snapshots] == [other] * 2


def test_the_ca_resolver_bench_times_the_kri_and_its_explain(capsys):
    """bench.ca_resolver: the KRI and its explain, each with its peak RSS and one row per
    uncovered user, and the load average the figures were taken under."""
    ca_resolver.main(300, 10)
    out = capsys.readouterr().out
    value = int(re.search(r"entra_ca_coverage_gaps_exact = (\d+) in [\d.]+ s .*peak RSS \d+ MB",
                          out).group(1))
    rows = int(re.search(r"explain: (\d+) rows in [\d.]+ s .*peak RSS \d+ MB", out).group(1))
    assert value == rows > 0
    assert out.count("load average") == 2


def test_lake_export_bench_exports_then_nothing_then_the_held_back_day():
    result = CliRunner().invoke(lake_export_bench, ["--tenants", "2", "--days", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [report[k]["exported"] for k in ("first", "again", "one_new_day")] == [2, 0, 2]
    assert report["again"]["already_there"] == 2 and report["again"]["files"] > 0
    assert report["one_new_day"]["kri_values_rows"] == 2 * report["first"]["kri_values_rows"]


@allow_loopback
def test_lake_export_bench_exports_the_same_lake_from_s3_as_from_local_disk():
    pytest.importorskip("moto.server", reason="moto is not installed: make install")
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    result = CliRunner().invoke(lake_export_bench, ["--tenants", "2", "--days", "1",
                                                    "--store", "s3"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    phases = ("first", "again", "one_new_day")
    assert [report["s3"][k]["exported"] for k in phases] == [2, 0, 2]
    assert [report["s3"][k]["rows"] for k in phases] == [report[k]["rows"] for k in phases]
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint  # put back as it was
