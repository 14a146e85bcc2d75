from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from switchboard.servicekit.deliveries import Delivery, DeliveryStatus, RetryPolicy

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(
    first_delay=timedelta(seconds=1), max_delay=timedelta(seconds=30), max_attempts=5
)


def test_backoff_doubles_until_the_cap():
    assert [POLICY.delay_after(n).total_seconds() for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_dead_after_max_attempts_and_delivered_on_success():
    delivery, now = Delivery(DeliveryStatus.PENDING, 0, T0), T0
    for _ in range(4):
        delivery = delivery.failed(at=now, error="503", policy=POLICY)
        assert delivery.status is DeliveryStatus.PENDING
        now = delivery.next_attempt_at
    assert now == T0 + timedelta(seconds=1 + 2 + 4 + 8)
    dead = delivery.failed(at=now, error="503", policy=POLICY)
    assert dead.status is DeliveryStatus.DEAD
    assert dead.attempts == 5
    assert dead.next_attempt_at is None
    delivered = delivery.succeeded()
    assert delivered.status is DeliveryStatus.DELIVERED
    assert delivered.attempts == 5


@given(
    st.integers(1, 60).map(lambda s: timedelta(seconds=s)),
    st.integers(60, 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(1, 50),
)
def test_delays_never_shrink_and_never_exceed_the_cap(first, cap, attempts):
    policy = RetryPolicy(first_delay=first, max_delay=cap, max_attempts=attempts)
    delays = [policy.delay_after(n) for n in range(1, 60)]
    assert delays == sorted(delays)
    assert all(first <= delay <= cap for delay in delays)
