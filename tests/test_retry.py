"""The retry policy (snapshotter/retry.py): Retry-After first, else capped backoff with jitter."""

from datetime import UTC, datetime

from entra_kri.snapshotter.retry import RetryPolicy, parse_retry_after


def test_retry_after_in_seconds():
    assert parse_retry_after("7") == 7.0


def test_retry_after_as_http_date():
    now = datetime(2026, 11, 27, 11, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Fri, 27 Nov 2026 11:00:30 GMT", now) == 30.0


def test_retry_after_in_the_past_means_no_wait():
    now = datetime(2026, 11, 27, 11, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Fri, 27 Nov 2026 10:59:00 GMT", now) == 0.0


def test_unreadable_retry_after_is_ignored():
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_advised_wait_wins_over_backoff():
    assert RetryPolicy().delay(5, "2") == 2.0


def test_backoff_doubles_with_full_range_jitter():
    policy = RetryPolicy(base_delay=1.0, max_delay=60.0, jitter=lambda low, high: high)
    assert [policy.delay(n, None) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    lowest = RetryPolicy(base_delay=1.0, jitter=lambda low, high: low)
    assert lowest.delay(3, None) == 2.0


def test_backoff_is_capped():
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0, jitter=lambda low, high: high)
    assert policy.delay(12, None) == 10.0
