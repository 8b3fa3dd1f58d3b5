"""analysis.render: docs/interface.md's `kri --format json`, CSV and table output."""

import csv
import hashlib
import io
import json
from importlib.resources import files

import pytest
from entra_kri.analysis import compute_kris, render

from entra_kri.errors import ConfigurationError
from entra_kri.kris import KRI_SLUGS
from tests.snapshot_builder import CAPTURED_AT, TENANT_ID, build_snapshot, registered, user


@pytest.fixture
def report(tmp_path):
    path = build_snapshot(
        tmp_path,
        users=[user("a"), user("b")],
        registration=[registered("a")],
        refused={"sign_ins": 403},
        warnings=["signIns: 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant"],
    )
    return compute_kris(path)


def test_json_shape_matches_interface(report):
    """docs/interface.md: {tenant_id, snapshot_id, captured_at, kris[...], warnings}."""
    document = json.loads(render(report, "json"))
    assert {"tenant_id", "snapshot_id", "captured_at", "kris", "warnings"} <= set(document)
    assert document["tenant_id"] == TENANT_ID
    assert document["snapshot_id"] == "20261127T110644Z"
    assert document["captured_at"] == CAPTURED_AT
    assert document["warnings"] == [
        "signIns: 403 Authentication_RequestFromNonPremiumTenantOrB2CTenant"
    ]
    assert [k["slug"] for k in document["kris"]] == list(KRI_SLUGS)
    for kri in document["kris"]:
        assert {"slug", "value", "status", "degraded", "warnings"} <= set(kri)
        assert kri["status"] in ("ok", "warn", "breach")
        assert isinstance(kri["degraded"], bool)


def test_json_values_pct_float_counts_integers(report):
    """docs/interface.md: value is a JSON number; the percentage is a float, counts integers."""
    kris = {k["slug"]: k for k in json.loads(render(report, "json"))["kris"]}
    assert kris["entra_mfa_enrollment_pct"]["value"] == 50.0
    assert isinstance(kris["entra_mfa_enrollment_pct"]["value"], float)
    assert kris["entra_ca_coverage_gaps"]["value"] == 2
    assert isinstance(kris["entra_ca_coverage_gaps"]["value"], int)
    assert kris["entra_failed_signins_24h"]["degraded"] is True


def test_json_carries_sql_sha256_and_tool_version(report):
    """Each KRI is pinned to the bytes of the SQL that produced it."""
    (kri,) = [
        k
        for k in json.loads(render(report, "json"))["kris"]
        if k["slug"] == "entra_guest_account_count"
    ]
    sql = files("entra_kri.analysis").joinpath("sql/kri/entra_guest_account_count.sql").read_bytes()
    assert kri["sql_sha256"] == hashlib.sha256(sql).hexdigest()
    assert kri["tool_version"]


def test_csv_header_and_rows(report):
    rows = list(csv.reader(io.StringIO(render(report, "csv"))))
    assert rows[0][:5] == ["slug", "value", "status", "degraded", "warnings"]
    assert [r[0] for r in rows[1:]] == list(KRI_SLUGS)
    failed = next(r for r in rows if r[0] == "entra_failed_signins_24h")
    assert failed[1:4] == ["0", "ok", "true"]
    assert "/auditLogs/signIns" in failed[4]


def test_table_lists_kris_and_warnings(report):
    text = render(report, "table", width=200)
    for slug in KRI_SLUGS:
        assert slug in text
    assert "DEGRADED" in text
    assert "/auditLogs/signIns" in text


def test_subset_of_kris(tmp_path):
    report = compute_kris(build_snapshot(tmp_path), kris=["entra_guest_account_count"])
    assert [k.slug for k in report.kris] == ["entra_guest_account_count"]


def test_unknown_kri_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="Unknown KRI"):
        compute_kris(build_snapshot(tmp_path), kris=["entra_nope"])
