"""Client-side pacing (snapshotter/pacing.py): Graph's budgets are kept, not probed by 429s."""

import pytest
from entra_kri.snapshotter.pacing import Budget, graph_budgets


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_requests_within_the_budget_do_not_wait():
    clock = FakeClock()
    budget = Budget(5, 10.0, clock=clock, sleep=clock.sleep)
    assert [budget.acquire()[1] for _ in range(5)] == [0.0] * 5


def test_the_sixth_request_in_ten_seconds_waits_for_the_window():
    clock = FakeClock()
    budget = Budget(5, 10.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        budget.acquire()
        clock.now += 1.0
    assert budget.acquire()[1] == 5.0  # the first request leaves the window at t=10
    assert clock.now == 10.0


def test_the_window_counts_from_when_the_response_arrived():
    """Graph counts arrival, after our send: settling a slot moves its count later."""
    clock = FakeClock()
    budget = Budget(1, 10.0, clock=clock, sleep=clock.sleep)
    slot, _ = budget.acquire()
    clock.now += 0.5  # the answer takes half a second
    budget.settle(slot)
    assert budget.acquire()[1] == 10.0
    assert clock.now == 10.5


def test_sign_ins_and_audits_share_one_budget():
    budgets = graph_budgets()
    assert budgets["/auditLogs/"].requests == 5 and budgets["/auditLogs/"].seconds == 10.0
    assert budgets["/identity/conditionalAccess/"].requests == 1


def test_a_slot_settled_early_frees_the_window_though_an_older_one_settled_late():
    # Two requests sent together; the second's answer came first. Once the second has
    # left the window, a third may go, whatever the first's slot still holds.
    clock = FakeClock()
    budget = Budget(2, 10.0, clock=clock, sleep=clock.sleep)
    slow, _ = budget.acquire()
    fast, _ = budget.acquire()
    clock.now = 1.0
    budget.settle(fast)
    clock.now = 5.0
    budget.settle(slow)
    clock.now = 11.0
    assert budget.acquire()[1] == 0.0
    assert clock.now == 11.0


def test_the_time_waited_is_what_was_slept():
    clock = FakeClock()
    budget = Budget(2, 10.0, clock=clock, sleep=clock.sleep)
    slow, _ = budget.acquire()
    fast, _ = budget.acquire()
    clock.now = 1.0
    budget.settle(fast)
    clock.now = 5.0
    budget.settle(slow)
    _, waited = budget.acquire()  # waits for `fast` to leave the window, at t=11
    assert waited == pytest.approx(clock.now - 5.0) == pytest.approx(6.0)
