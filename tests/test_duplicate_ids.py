"""Duplicate ids (docs/kri.md, "Duplicate ids"): each object counts once, the KRIs
that read the collection warn, and the analysis stays linear."""

from __future__ import annotations

import time

from click.testing import CliRunner
from entra_kri.analysis import compute_kris
from entra_kri.analysis.explain import explain

from entra_kri.cli import cli
from tests.snapshot_builder import build_snapshot, compute_kri, registered, role_member, user

USERS_WARNING = ("The users collection lists 1 object(s) more than once (2 extra row(s)): "
                 "each is counted once, from one of its rows (Graph returned it on more "
                 "than one page).")


def test_duplicate_user_rows_count_once_and_warn(tmp_path):
    guests = [user("g", user_type="Guest")] * 3 + [user("h", user_type="Guest")]
    result = compute_kri(tmp_path, "entra_guest_account_count", users=guests)
    assert (result.value, result.degraded, result.warnings) == (2, False, (USERS_WARNING,))


def test_duplicate_users_warn_in_every_kri_that_reads_users(tmp_path):
    report = compute_kris(build_snapshot(tmp_path, users=[user("a")] * 3))
    warned = {k.slug for k in report.kris if USERS_WARNING in k.warnings}
    assert warned == {
        "entra_mfa_enrollment_pct", "entra_privileged_no_mfa_count",
        "entra_stale_accounts_90d", "entra_ca_coverage_gaps",
        "entra_ca_coverage_gaps_exact", "entra_guest_account_count",
    }


def test_duplicate_users_count_once_in_enrollment_and_coverage(tmp_path):
    path = build_snapshot(tmp_path, users=[user("a")] * 2 + [user("b")],
                          registration=[registered("a")] * 2)
    kris = {k.slug: k.value for k in compute_kris(path).kris}
    assert kris["entra_mfa_enrollment_pct"] == 50.0
    assert kris["entra_ca_coverage_gaps"] == 2
    assert kris["entra_ca_coverage_gaps_exact"] == 2


def test_duplicate_role_members_count_once_and_warn(tmp_path):
    result = compute_kri(tmp_path, "entra_privileged_no_mfa_count", users=[user("a")],
                         role_members=[role_member("r1", "a")] * 2)
    assert result.value == 1
    assert any(w.startswith("The directory_role_members collection lists 1 object(s)")
               for w in result.warnings)


def test_duplicate_sign_ins_count_once(tmp_path):
    failed = {"id": "s1", "createdDateTime": "2026-11-27T10:00:00Z",
              "status": {"errorCode": 50126}}
    result = compute_kri(tmp_path, "entra_failed_signins_24h", sign_ins=[failed] * 2)
    assert result.value == 1
    assert result.warnings[0].startswith("The sign_ins collection lists 1 object(s)")


def test_distinct_ids_give_no_duplicate_warning(tmp_path):
    report = compute_kris(build_snapshot(tmp_path, users=[user("a"), user("b")]))
    assert not [w for k in report.kris for w in k.warnings if "more than once" in w]


def test_the_row_kept_does_not_depend_on_file_order(tmp_path):
    enabled, disabled = user("a", user_type="Guest"), user("a", user_type="Guest", enabled=False)
    first = explain(build_snapshot(tmp_path / "1", users=[enabled, disabled]),
                    ["entra_guest_account_count"])[0]
    second = explain(build_snapshot(tmp_path / "2", users=[disabled, enabled]),
                     ["entra_guest_account_count"])[0]
    assert first.rows == second.rows
    assert len(first.rows) == 1


def test_explain_names_the_duplicates(tmp_path):
    path = build_snapshot(tmp_path, users=[user("g", user_type="Guest")] * 3)
    result = CliRunner().invoke(cli, ["explain", str(path), "entra_guest_account_count"])
    assert result.exit_code == 0, result.output
    assert "warning: The users collection lists 1 object(s) more than once" in result.output


def test_forty_thousand_rows_sharing_one_id_stay_linear(tmp_path):
    """40k rows of one id took minutes when joins on user_id multiplied them; linear,
    it is about a second. The bound is generous: a loaded machine, not a benchmark."""
    n = 40_000
    path = build_snapshot(tmp_path, users=[user("dup")] * n, registration=[registered("dup")] * n,
                          role_members=[role_member("r1", "dup")] * n)
    started = time.monotonic()
    explanations = explain(path)
    elapsed = time.monotonic() - started
    assert {e.kri.slug: e.kri.value for e in explanations}["entra_ca_coverage_gaps"] == 1
    assert elapsed < 60, f"explain of every KRI took {elapsed:.1f} s"


def test_rows_without_id_are_kept_and_not_called_duplicates(tmp_path):
    guests = [user(None, user_type="Guest"), user(None, user_type="Guest", enabled=False)]
    result = compute_kri(tmp_path, "entra_guest_account_count", users=guests)
    assert (result.value, result.warnings) == (2, ())


def test_duplicate_named_locations_warn_in_the_exact_coverage_kri(tmp_path):
    location = {"id": "loc1", "displayName": "Office",
                "@odata.type": "#microsoft.graph.ipNamedLocation", "isTrusted": True}
    path = build_snapshot(tmp_path, users=[user("a")], named_locations=[location] * 2)
    (kri,) = compute_kris(path, kris=["entra_ca_coverage_gaps_exact"]).kris
    assert any(w.startswith("The named_locations collection lists 1 object(s)")
               for w in kri.warnings)
