"""Client-side pacing (snapshotter/pacing.py): Graph's budgets are kept, not probed by 429s."""

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
