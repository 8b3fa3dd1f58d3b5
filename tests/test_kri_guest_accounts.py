"""entra_guest_account_count: docs/kri.md, "count of users with userType = 'Guest'"."""

from tests.snapshot_builder import compute_kri, user

SLUG = "entra_guest_account_count"


def test_guests_counted_enabled_or_not(tmp_path):
    """Definitions: "(enabled or not)"."""
    users = [user("g1", user_type="Guest"), user("g2", user_type="Guest", enabled=False)]
    assert compute_kri(tmp_path, SLUG, users=users).value == 2


def test_members_and_null_user_type_are_not_guests(tmp_path):
    """Definitions: only userType Guest; a null userType is a member."""
    users = [user("m"), user("n", user_type=None), user("g", user_type="Guest")]
    assert compute_kri(tmp_path, SLUG, users=users).value == 1


def test_guest_compared_case_insensitively(tmp_path):
    """shared terms: compare userType case-insensitively."""
    users = [user("g1", user_type="guest"), user("g2", user_type="GUEST")]
    result = compute_kri(tmp_path, SLUG, users=users)
    assert (result.value, result.degraded, result.warnings) == (2, False, ())
