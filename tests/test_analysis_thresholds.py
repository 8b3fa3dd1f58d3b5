"""analysis.thresholds: docs/kri.md's "Default thresholds" and configuration overrides."""

import pytest
from entra_kri.analysis.thresholds import merge_thresholds, status

from entra_kri.errors import ConfigurationError
from entra_kri.kris import DEFAULT_THRESHOLDS


@pytest.mark.parametrize(
    ("value", "expected"), [(95.0, "ok"), (94.9, "warn"), (90.0, "warn"), (89.9, "breach")]
)
def test_mfa_pct_lower_is_worse(value, expected):
    """docs/kri.md: entra_mfa_enrollment_pct warns when < 95, breaches when < 90."""
    assert status(value, DEFAULT_THRESHOLDS["entra_mfa_enrollment_pct"]) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0, "ok"), (1, "warn"), (24, "warn"), (25, "breach")]
)
def test_stale_accounts_higher_is_worse(value, expected):
    """docs/kri.md: entra_stale_accounts_90d warns when >= 1, breaches when >= 25."""
    assert status(value, DEFAULT_THRESHOLDS["entra_stale_accounts_90d"]) == expected


def test_no_warn_level_goes_straight_to_breach():
    """docs/kri.md: entra_privileged_no_mfa_count has no warn level, breaches when >= 1."""
    threshold = DEFAULT_THRESHOLDS["entra_privileged_no_mfa_count"]
    assert (status(0, threshold), status(1, threshold)) == ("ok", "breach")


def test_null_value_is_warn():
    """A null value (no enabled members) cannot be judged: it is flagged for a look."""
    assert status(None, DEFAULT_THRESHOLDS["entra_mfa_enrollment_pct"]) == "warn"


def test_override_merges_over_defaults():
    merged = merge_thresholds({"entra_guest_account_count": {"warn": 200, "breach": 1000}})
    assert merged["entra_guest_account_count"].as_dict() == {"warn": 200, "breach": 1000}
    assert merged["entra_stale_accounts_90d"] == DEFAULT_THRESHOLDS["entra_stale_accounts_90d"]


def test_partial_override_keeps_the_other_level():
    merged = merge_thresholds({"entra_guest_account_count": {"warn": 200}})
    assert merged["entra_guest_account_count"].as_dict() == {"warn": 200, "breach": 500}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"nope": {"warn": 1}}, "Unknown KRI 'nope'"),
        ({"entra_guest_account_count": {"warn": "lots"}}, "must be a number"),
        ({"entra_guest_account_count": {"warm": 1}}, "unknown key"),
        ({"entra_guest_account_count": {"warn": 600}}, "warn .600. is above breach"),
        ({"entra_mfa_enrollment_pct": {"warn": 80}}, "warn .80. is below breach"),
    ],
)
def test_bad_override_is_a_configuration_error(overrides, message):
    with pytest.raises(ConfigurationError, match=message):
        merge_thresholds(overrides)
