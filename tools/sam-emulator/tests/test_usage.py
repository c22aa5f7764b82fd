"""Usage plan limits per key: a token bucket for the rate, a count per UTC quota period."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sam_emulator.usage import UsageLimiter, UsagePlan, Verdict, period_end

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, now: float = NOON) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def plan(**limits: float | int | str | None) -> UsagePlan:
    return UsagePlan(logical_id="Plan", name="plan", apis=("Api",), **limits)  # type: ignore[arg-type]


def take(limiter: UsageLimiter, times: int) -> list[bool]:
    return [limiter.take().allowed for _ in range(times)]


def test_a_full_bucket_serves_a_burst_then_throttles_with_retry_after() -> None:
    limiter = UsageLimiter(plan(rate=2.0, burst=3), Clock())

    served = take(limiter, 3)
    refused = limiter.take()

    assert served == [True, True, True]
    assert refused == Verdict(False, "THROTTLED", 1)


def test_the_bucket_refills_at_the_rate() -> None:
    clock = Clock()
    limiter = UsageLimiter(plan(rate=2.0, burst=3), clock)
    take(limiter, 3)

    clock.now += 1.0  # two tokens back at 2 per second
    after_a_second = take(limiter, 3)

    assert after_a_second == [True, True, False]


def test_a_slow_rate_says_how_long_until_the_next_token() -> None:
    limiter = UsageLimiter(plan(rate=0.25, burst=1), Clock())
    limiter.take()

    assert limiter.take() == Verdict(False, "THROTTLED", 4)


def test_past_the_daily_quota_the_answer_is_quota_exceeded_until_utc_midnight() -> None:
    clock = Clock()
    limiter = UsageLimiter(plan(rate=100.0, burst=100, quota=2, period="DAY"), clock)

    served = take(limiter, 2)
    refused = limiter.take()

    assert served == [True, True]
    assert refused == Verdict(False, "QUOTA_EXCEEDED", 12 * 3600)


def test_the_quota_starts_again_on_the_next_utc_day() -> None:
    clock = Clock()
    limiter = UsageLimiter(plan(quota=1, period="DAY"), clock)
    take(limiter, 2)

    clock.now += 12 * 3600  # midnight
    next_day = take(limiter, 2)

    assert next_day == [True, False]


def test_refused_requests_do_not_count_against_the_quota() -> None:
    clock = Clock()
    limiter = UsageLimiter(plan(rate=1.0, burst=1, quota=2), clock)
    take(limiter, 5)  # one served, four throttled

    clock.now += 1.0

    assert limiter.take().allowed is True
    assert limiter.take() == Verdict(False, "QUOTA_EXCEEDED", 12 * 3600 - 1)


@pytest.mark.parametrize(
    ("period", "end"),
    [
        ("DAY", datetime(2026, 12, 3, tzinfo=UTC)),
        ("WEEK", datetime(2026, 12, 7, tzinfo=UTC)),  # 2026-12-02 is a Wednesday; the next Monday
        ("MONTH", datetime(2027, 1, 1, tzinfo=UTC)),
    ],
)
def test_quota_periods_end_at_utc_midnight_monday_and_the_first(period: str, end: datetime) -> None:
    assert period_end(NOON, period) == end.timestamp()


def test_the_plan_creates_as_api_gateway_takes_it() -> None:
    declared = plan(rate=5.0, burst=10, quota=1000, period="DAY")

    assert declared.create_request() == {
        "name": "plan",
        "throttle": {"rateLimit": 5.0, "burstLimit": 10},
        "quota": {"limit": 1000, "period": "DAY"},
    }
