"""The capture against the local Graph fake: paging, filters, retries, refusals, atomicity.

Rules from docs/kri.md (fail-safe table) and docs/snapshot-format.md.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from entra_kri.analysis.compute import compute_kris

from entra_kri.errors import GraphError
from fake_graph import ALL_APP_ROLES, FakeGraph, allow_loopback, expected_kris, make_tenant
from tests.conftest import NOW, capture, collection_entry, fast_retry, manifest_of

pytestmark = allow_loopback


def kri_values(snapshot):
    return {k.slug: k.value for k in compute_kris(snapshot).kris}


def graph_requests(fake):
    return [r for r in fake.requests if r.path.startswith("/v1.0")]


def test_demo_tenant_capture_gives_the_kri_md_values(fake, demo_tenant, tmp_path):
    snapshot = capture(fake, demo_tenant, tmp_path)
    assert kri_values(snapshot) == expected_kris(demo_tenant, NOW)
    assert manifest_of(snapshot)["complete"] is True


def test_only_get_is_ever_sent_to_graph(fake, demo_tenant, tmp_path):
    capture(fake, demo_tenant, tmp_path)
    assert graph_requests(fake)
    assert {r.method for r in graph_requests(fake)} == {"GET"}
    others = [r for r in fake.requests if not r.path.startswith("/v1.0")]
    assert all(r.method == "GET" or r.path.endswith("/oauth2/v2.0/token") for r in others)


def test_users_are_selected_with_the_fields_the_kris_need(fake, demo_tenant, tmp_path):
    capture(fake, demo_tenant, tmp_path)
    users = next(r for r in graph_requests(fake) if r.path == "/v1.0/users")
    selected = users.query["$select"].split(",")
    assert {"id", "accountEnabled", "userType", "signInActivity"} <= set(selected)
    assert users.query["$top"] == "999"


def test_every_page_is_followed_and_written(tmp_path):
    tenant = make_tenant(1200, seed=7, now=NOW)
    with FakeGraph(tenant) as fake:
        snapshot = capture(fake, tenant, tmp_path)
    users = collection_entry(snapshot, "users")
    assert users["items"] == 1200
    assert users["pages"] == 3  # signInActivity caps pages at 500 whatever $top asks
    lines = gzip.decompress((snapshot / users["file"]).read_bytes()).splitlines()
    assert len({json.loads(line)["id"] for line in lines}) == 1200
    skiptokens = [r for r in graph_requests(fake) if r.path == "/v1.0/users" and
                  "$skiptoken" in r.query]
    assert len(skiptokens) == 2


def test_sign_ins_are_asked_for_the_24h_window_ending_at_capture(fake, demo_tenant, tmp_path):
    capture(fake, demo_tenant, tmp_path)
    sign_ins = next(r for r in graph_requests(fake) if r.path == "/v1.0/auditLogs/signIns")
    assert sign_ins.query["$filter"] == (
        "createdDateTime ge 2026-11-26T11:06:44Z and createdDateTime le 2026-11-27T11:06:44Z"
        " and status/errorCode ne 0"
    )


def test_a_rejected_failure_filter_falls_back_to_the_whole_window(demo_tenant, tmp_path):
    with FakeGraph(demo_tenant, reject_errorcode_ne=True) as fake:
        snapshot = capture(fake, demo_tenant, tmp_path)
    entry = collection_entry(snapshot, "sign_ins")
    assert entry["filter"] == "all" and entry["outcome"] == "ok"
    assert entry["items"] > expected_kris(demo_tenant, NOW)["entra_failed_signins_24h"]
    assert kri_values(snapshot) == expected_kris(demo_tenant, NOW)


def test_429_waits_as_long_as_retry_after_says(fake, demo_tenant, tmp_path, sleeps):
    fake.throttle("/users", 2, retry_after="3")
    capture(fake, demo_tenant, tmp_path, retry=fast_retry(sleeps))
    assert sleeps == [3.0, 3.0]


def test_429_with_an_http_date_retry_after_is_honoured(fake, demo_tenant, tmp_path, sleeps):
    fake.throttle("/organization", 1, retry_after="Fri, 27 Nov 2020 11:00:00 GMT")
    capture(fake, demo_tenant, tmp_path, retry=fast_retry(sleeps))
    assert sleeps == [0.0]  # a date in the past: retry at once


def test_429_without_retry_after_backs_off_exponentially(fake, demo_tenant, tmp_path, sleeps):
    fake.throttle("/identity/conditionalAccess/policies", 3, retry_after=None)
    capture(fake, demo_tenant, tmp_path, retry=fast_retry(sleeps, base_delay=1.0))
    assert sleeps == [1.0, 2.0, 4.0]


def test_503_and_504_are_retried(fake, demo_tenant, tmp_path, sleeps):
    fake.fail("/directoryRoles", 503, count=1)
    fake.fail("/reports", 504, count=1)
    snapshot = capture(fake, demo_tenant, tmp_path, retry=fast_retry(sleeps))
    assert len(sleeps) == 2
    assert kri_values(snapshot) == expected_kris(demo_tenant, NOW)


def test_retries_are_bounded_and_leave_no_snapshot(fake, demo_tenant, tmp_path, sleeps):
    fake.fail("/auditLogs/signIns", 503, count=100)
    with pytest.raises(GraphError, match="No snapshot was written"):
        capture(fake, demo_tenant, tmp_path, retry=fast_retry(sleeps, max_attempts=4))
    assert len(sleeps) == 3
    assert list((tmp_path / demo_tenant.tenant_id).iterdir()) == []


def test_total_wait_is_bounded_too(fake, demo_tenant, tmp_path, sleeps):
    fake.throttle("/users", 50, retry_after="100")
    with pytest.raises(GraphError):
        capture(fake, demo_tenant, tmp_path, retry=fast_retry(sleeps, max_total_wait=250))
    assert sum(sleeps) <= 250


def test_free_tenant_is_captured_with_refusals_recorded(demo_tenant, tmp_path):
    """docs/kri.md fail-safe: 403 on signIns, CA and signInActivity is tolerated and recorded."""
    demo_tenant.licence = "free"
    with FakeGraph(demo_tenant) as fake:
        snapshot = capture(fake, demo_tenant, tmp_path)
    manifest = manifest_of(snapshot)
    assert collection_entry(snapshot, "sign_ins")["outcome"] == "forbidden"
    assert collection_entry(snapshot, "sign_ins")["http_status"] == 403
    assert collection_entry(snapshot, "sign_ins")["error"]["code"] == (
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant")
    assert collection_entry(snapshot, "conditional_access_policies")["outcome"] == "forbidden"
    assert collection_entry(snapshot, "users")["sign_in_activity"] == "forbidden"
    report = compute_kris(snapshot)
    # The refusal is data in the manifest and worded once, in the KRIs' warnings.
    assert not any("P1/P2" in w for w in manifest["warnings"])
    (failed,) = [k for k in report.kris if k.slug == "entra_failed_signins_24h"]
    assert any("P1/P2" in w for w in failed.warnings)
    assert {k.slug: k.value for k in report.kris} == expected_kris(demo_tenant, NOW)
    degraded = {k.slug for k in report.kris if k.degraded}
    assert {"entra_failed_signins_24h", "entra_ca_coverage_gaps",
            "entra_stale_accounts_90d"} <= degraded


def test_without_auditlog_permission_users_are_captured_without_sign_in_activity(
        demo_tenant, tmp_path):
    demo_tenant.granted_roles = set(ALL_APP_ROLES) - {"AuditLog.Read.All"}
    with FakeGraph(demo_tenant) as fake:
        snapshot = capture(fake, demo_tenant, tmp_path)
        second_users = [r for r in graph_requests(fake) if r.path == "/v1.0/users"][-1]
    assert "signInActivity" not in second_users.query["$select"]
    assert collection_entry(snapshot, "users")["sign_in_activity"] == "forbidden"
    assert kri_values(snapshot) == expected_kris(demo_tenant, NOW)


def test_missing_directory_permission_is_fatal(demo_tenant, tmp_path):
    demo_tenant.granted_roles = set(ALL_APP_ROLES) - {"Directory.Read.All"}
    with FakeGraph(demo_tenant) as fake, pytest.raises(GraphError) as raised:
        capture(fake, demo_tenant, tmp_path)
    assert "Directory.Read.All" in raised.value.message
    assert "Grant admin consent" in raised.value.message
    assert list((tmp_path / demo_tenant.tenant_id).iterdir()) == []


def test_a_run_that_outlives_its_token_gets_a_new_one(fake, demo_tenant, tmp_path):
    fake.token_lifetime = 60  # msal renews tokens with less than five minutes left
    snapshot = capture(fake, demo_tenant, tmp_path)
    token_posts = [r for r in fake.requests if r.path.endswith("/oauth2/v2.0/token")]
    assert len(token_posts) > 1
    assert manifest_of(snapshot)["complete"] is True


def test_chain_records_the_previous_manifest_hash(fake, demo_tenant, tmp_path):
    first = capture(fake, demo_tenant, tmp_path)
    second = capture(fake, demo_tenant, tmp_path, now=NOW + timedelta(days=1))
    assert manifest_of(first)["previous_manifest_sha256"] is None
    assert manifest_of(second)["previous_manifest_sha256"] == hashlib.sha256(
        (first / "manifest.json").read_bytes()).hexdigest()


def test_a_large_tenant_with_throttling_gives_exact_kris(tmp_path, sleeps):
    """A whole capture of thousands of users, 429s and 503s sprinkled in."""
    tenant = make_tenant(3000, seed=11, now=NOW)
    with FakeGraph(tenant) as fake:
        fake.throttle("/users", 2, retry_after="1")
        fake.fail("/users", 503, count=1)
        fake.throttle("/auditLogs/signIns", 2, retry_after="2")
        fake.throttle("/identity/conditionalAccess/policies", 1, retry_after=None)
        fake.fail("/reports", 503, count=2)
        snapshot = capture(fake, tenant, tmp_path, retry=fast_retry(sleeps))
    assert len(sleeps) == 8
    assert kri_values(snapshot) == expected_kris(tenant, NOW)


def test_query_strings_are_graph_odata(fake, demo_tenant, tmp_path):
    snapshot = capture(fake, demo_tenant, tmp_path)
    url = collection_entry(snapshot, "users")["url"]
    assert urlsplit(url).path == "/v1.0/users"
    assert "$select" in parse_qs(urlsplit(url).query)


def test_concurrent_captures_of_the_same_data_are_byte_identical(fake, demo_tenant, tmp_path):
    """Collections arrive in any order; the snapshot's bytes must not depend on it."""
    first = capture(fake, demo_tenant, tmp_path / "a")
    second = capture(fake, demo_tenant, tmp_path / "b")
    assert (first / "manifest.json").read_bytes() == (second / "manifest.json").read_bytes()


def test_a_fatal_error_stops_the_other_steps_early(tmp_path):
    """The capture is concurrent: a refused /directoryRoles cancels the users' paging."""
    tenant = make_tenant(3000, seed=5, now=NOW)
    with FakeGraph(tenant, latency=0.1) as fake:
        fake.refuse("/directoryRoles", 403, "Authorization_RequestDenied")
        with pytest.raises(GraphError, match=r"Directory\.Read\.All"):
            capture(fake, tenant, tmp_path)
        user_pages = [r for r in graph_requests(fake) if r.path == "/v1.0/users"]
    assert len(user_pages) < 6  # 3000 users come in 6 pages of 500
    assert list((tmp_path / tenant.tenant_id).iterdir()) == []


def test_ctrl_c_stops_the_capture_soon_and_leaves_nothing(tmp_path):
    """An interrupt cancels every concurrent step at its next page; no snapshot remains."""
    import os
    import signal
    import subprocess
    import sys
    import time

    tenant = make_tenant(20000, seed=1, now=NOW)
    with FakeGraph(tenant, latency=0.2) as fake:
        proc = subprocess.Popen(
            [sys.executable, "-m", "entra_kri.cli", "snapshot", "--tenant-id", tenant.tenant_id,
             "--client-id", tenant.client_id, "--graph-url", fake.graph_url, "--login-url",
             fake.login_url, "--ca-bundle", fake.ca_bundle, "--out", str(tmp_path)],
            env={**os.environ, "ENTRA_KRI_CLIENT_SECRET": tenant.client_secret},
            stderr=subprocess.PIPE, text=True)
        time.sleep(3)  # well into paging 40 pages of users at 0.2 s each
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Aborted" in stderr
    assert not [p for p in tmp_path.rglob("*") if p.is_file() or p.name.endswith(".partial")]


def test_the_manifest_records_pages_and_no_request_count(fake, demo_tenant, tmp_path):
    # A per-collection "requests" field once read 0 for collections of many pages; it is
    # gone (docs/snapshot-format.md): pages are recorded, the run's requests in its log.
    snapshot = capture(fake, demo_tenant, tmp_path)
    for entry in manifest_of(snapshot)["collections"]:
        assert "requests" not in entry
    assert collection_entry(snapshot, "users")["pages"] >= 1
