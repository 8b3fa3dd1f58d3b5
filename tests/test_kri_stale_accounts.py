"""entra_stale_accounts_90d: docs/kri.md, "Definitions" (now = captured_at 2026-11-27T11:06:44Z)."""

import pytest

from tests.snapshot_builder import compute_kri, user

SLUG = "entra_stale_accounts_90d"
NINETY_DAYS_BEFORE_NOW = "2026-08-29T11:06:44Z"


@pytest.mark.parametrize("never", [None, "", "0001-01-01T00:00:00Z"])
def test_each_never_spelling_is_stale(tmp_path, never):
    """Definitions: lastSignInDateTime "never" is null, "" or 0001-01-01T00:00:00Z."""
    result = compute_kri(tmp_path, SLUG, users=[user("a", last_sign_in=never)])
    assert result.value == 1


def test_null_sign_in_activity_is_stale(tmp_path):
    """Definitions: "signInActivity is missing/null" (here: null)."""
    result = compute_kri(tmp_path, SLUG, users=[user("a", signInActivity=None)])
    assert result.value == 1


def test_missing_sign_in_activity_is_stale(tmp_path):
    """Definitions: "signInActivity is missing/null" (here: absent)."""
    row = user("a")
    del row["signInActivity"]
    result = compute_kri(tmp_path, SLUG, users=[row])
    assert result.value == 1


def test_exactly_90_days_is_not_stale(tmp_path):
    """Definitions: stale when "< now - 90 days"; equal is not stale."""
    result = compute_kri(tmp_path, SLUG, users=[user("a", last_sign_in=NINETY_DAYS_BEFORE_NOW)])
    assert result.value == 0


def test_one_microsecond_past_90_days_is_stale(tmp_path):
    """Definitions: stale when "< now - 90 days"."""
    result = compute_kri(
        tmp_path, SLUG, users=[user("a", last_sign_in="2026-08-29T11:06:43.999999Z")]
    )
    assert result.value == 1


def test_seven_fractional_digits_parse(tmp_path):
    """shared terms: "Timestamps carry 0 to 7 fractional digits; parse them all"."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[
            user("recent", last_sign_in="2026-11-20T08:15:30.1234567Z"),
            user("old", last_sign_in="2026-08-29T11:06:43.9999999Z"),
        ],
    )
    assert result.value == 1


def test_only_enabled_members_are_counted(tmp_path):
    """Definitions: "count of enabled_members" (no disabled users, no guests)."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[
            user("disabled", enabled=False, last_sign_in=None),
            user("guest", user_type="Guest", last_sign_in=None),
            user("nulltype", user_type=None, last_sign_in=None),
        ],
    )
    assert result.value == 1


def test_now_is_captured_at_not_the_wall_clock(tmp_path):
    """shared terms: now is captured_at: a sign-in a day before it is recent, whatever today is."""
    result = compute_kri(
        tmp_path,
        SLUG,
        captured_at="2020-01-02T00:00:00Z",
        users=[user("a", last_sign_in="2020-01-01T00:00:00Z")],
    )
    assert result.value == 0


@pytest.mark.parametrize("state", ["forbidden", "stripped"])
def test_sign_in_activity_refused_makes_every_enabled_member_stale(tmp_path, state):
    """fail-safe: signInActivity 403 or stripped -> every enabled member stale, degraded."""
    result = compute_kri(
        tmp_path,
        SLUG,
        sign_in_activity=state,
        users=[user("a"), user("b"), user("g", user_type="Guest")],
    )
    assert result.value == 2
    assert result.degraded is True
    (warning,) = result.warnings
    assert "/users" in warning
    assert "AuditLog.Read.All" in warning
    assert "P1" in warning
