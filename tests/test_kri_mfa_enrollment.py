"""entra_mfa_enrollment_pct: docs/kri.md, "Definitions" and "shared terms"."""

from tests.snapshot_builder import compute_kri, registered, user

SLUG = "entra_mfa_enrollment_pct"


def test_enabled_members_exclude_disabled_users(tmp_path):
    """enabled_members: accountEnabled = true; a disabled user is not in the denominator."""
    result = compute_kri(
        tmp_path, SLUG, users=[user("a"), user("b", enabled=False)], registration=[registered("a")]
    )
    assert result.value == 100.0


def test_enabled_members_exclude_guests(tmp_path):
    """enabled_members: userType not equal to 'Guest'."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a"), user("g", user_type="Guest")],
        registration=[registered("a")],
    )
    assert result.value == 100.0


def test_null_user_type_counts_as_member(tmp_path):
    """enabled_members: "a missing/null userType counts as a member"."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a"), user("n", user_type=None)],
        registration=[registered("a")],
    )
    assert result.value == 50.0


def test_missing_user_type_counts_as_member(tmp_path):
    """enabled_members: a userType absent from the object counts as a member."""
    nameless = user("n")
    del nameless["userType"]
    result = compute_kri(
        tmp_path, SLUG, users=[user("a"), nameless], registration=[registered("a")]
    )
    assert result.value == 50.0


def test_user_type_compared_case_insensitively(tmp_path):
    """shared terms: "compare case-insensitively": 'guest' and 'GUEST' are guests."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a"), user("g1", user_type="guest"), user("g2", user_type="GUEST")],
        registration=[registered("a")],
    )
    assert result.value == 100.0


def test_registration_matched_by_user_id(tmp_path):
    """registered(u): the row "whose id equals the user's id"; another user's row does not count."""
    result = compute_kri(
        tmp_path, SLUG, users=[user("a"), user("b")], registration=[registered("someone-else")]
    )
    assert result.value == 0.0


def test_user_without_registration_row_is_not_registered(tmp_path):
    """registered(u): "A user with no row ... is not registered"."""
    result = compute_kri(
        tmp_path, SLUG, users=[user("a"), user("b")], registration=[registered("a")]
    )
    assert result.value == 50.0


def test_null_is_mfa_registered_is_not_registered(tmp_path):
    """registered(u): "A user with ... a null value, is not registered"."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a"), user("b")],
        registration=[registered("a"), registered("b", is_mfa_registered=None)],
    )
    assert result.value == 50.0


def test_false_is_mfa_registered_is_not_registered(tmp_path):
    """registered(u): isMfaRegistered must be true."""
    result = compute_kri(
        tmp_path, SLUG, users=[user("a")], registration=[registered("a", is_mfa_registered=False)]
    )
    assert result.value == 0.0


def test_one_in_eight_rounds_to_12_5(tmp_path):
    """Rounding: round(100.0 * 1 / 8, 1) = 12.5."""
    users = [user(f"u{i}") for i in range(8)]
    result = compute_kri(tmp_path, SLUG, users=users, registration=[registered("u0")])
    assert result.value == 12.5


def test_two_in_three_rounds_to_66_7(tmp_path):
    """Rounding: round(100.0 * 2 / 3, 1) = 66.7."""
    users = [user(f"u{i}") for i in range(3)]
    result = compute_kri(
        tmp_path, SLUG, users=users, registration=[registered("u0"), registered("u1")]
    )
    assert result.value == 66.7


def test_rounding_is_half_away_from_zero(tmp_path):
    """Rounding: half away from zero: 100 * 1 / 16 = 6.25 gives 6.3 (not banker's 6.2)."""
    users = [user(f"u{i}") for i in range(16)]
    result = compute_kri(tmp_path, SLUG, users=users, registration=[registered("u0")])
    assert result.value == 6.3


def test_no_enabled_members_gives_null_with_warning(tmp_path):
    """Definitions: "No enabled members: null, with a warning"."""
    result = compute_kri(tmp_path, SLUG, users=[user("g", user_type="Guest")])
    assert result.value is None
    assert result.status == "warn"
    assert len(result.warnings) == 1
    assert "No enabled members" in result.warnings[0]


def test_registration_refused_counts_everyone_unregistered(tmp_path):
    """fail-safe: userRegistrationDetails refused -> every user counts as not registered."""
    result = compute_kri(
        tmp_path,
        SLUG,
        users=[user("a")],
        registration=[registered("a")],
        refused={"user_registration_details": 403},
    )
    assert result.value == 0.0
    assert result.degraded is True
    (warning,) = result.warnings
    assert "/reports/authenticationMethods/userRegistrationDetails" in warning
    assert "HTTP 403" in warning
    assert "Authentication_RequestFromNonPremiumTenantOrB2CTenant" in warning
    assert "P1/P2" in warning


def test_not_degraded_when_registration_answered(tmp_path):
    """fail-safe applies only to a refused collection."""
    result = compute_kri(tmp_path, SLUG, users=[user("a")], registration=[registered("a")])
    assert (result.degraded, result.warnings, result.status) == (False, (), "ok")
