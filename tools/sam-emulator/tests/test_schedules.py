"""Schedule expressions as EventBridge reads them, and the wall clock that fires them."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from sam_emulator.schedules import Clock, Timetable, croniter_expression, scheduled_event
from sam_emulator.template import Schedule

pytestmark = pytest.mark.e2e

NOW = datetime(2026, 11, 24, 2, 10, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("0 2 * * ? *", ("0 2 * * *", "*")),
        ("0 3 ? * 2-6 *", ("0 3 * * 1-5", "*")),  # MON-FRI: EventBridge counts SUN as 1
        ("0 3 ? * 1,7 *", ("0 3 * * 0,6", "*")),
        ("0 3 ? * MON-FRI *", ("0 3 * * MON-FRI", "*")),
        ("0 3 ? * 6L *", ("0 3 * * L5", "*")),  # the last Friday
        ("0 3 ? * 6#3 *", ("0 3 * * 5#3", "*")),  # the third Friday
        ("0/15 8-17 L * ? 2027", ("0/15 8-17 L * *", "2027")),
    ],
)
def test_eventbridge_cron_is_translated_for_croniter(fields: str, expected: tuple[str, str]) -> None:
    assert croniter_expression(fields) == expected


@pytest.mark.parametrize("fields", ["0 2 * * *", "0 2 1 * MON *", "0 2 1W * ? *"])
def test_invalid_eventbridge_cron_is_refused(fields: str) -> None:
    with pytest.raises(ValueError, match="cron"):
        croniter_expression(fields)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 2 * * ? *)", "2026-11-25T02:00:00"),
        ("cron(0 3 * * ? *)", "2026-11-24T03:00:00"),
        ("cron(0 3 ? * 6L *)", "2026-11-27T03:00:00"),
        ("cron(15 4 1 * ? 2027)", "2027-01-01T04:15:00"),
        ("rate(5 minutes)", "2026-11-24T02:15:00"),
        ("rate(1 day)", "2026-11-25T02:10:00"),
        ("at(2026-12-01T00:00:00)", "2026-12-01T00:00:00"),
    ],
)
def test_next_firing_after_a_moment(expression: str, expected: str) -> None:
    assert Timetable(expression, anchor=NOW).next_after(NOW) == at(expected)


def test_cron_in_a_time_zone_fires_at_local_time() -> None:
    assert Timetable("cron(0 2 * * ? *)", "Europe/Berlin").next_after(NOW) == at("2026-11-25T01:00:00")


def test_a_schedule_for_past_years_never_fires() -> None:
    assert Timetable("cron(* * * * ? 2025)").next_after(NOW) is None
    assert Timetable("at(2026-01-01T00:00:00)").next_after(NOW) is None


def test_scheduled_event_is_eventbridges_scheduled_event() -> None:
    schedule = Schedule(
        "NightlyFunction", "Nightly", "Schedule", "cron(0 2 * * ? *)", True, "nightly", "arn:rule/nightly"
    )
    event = scheduled_event(schedule, at("2026-11-21T02:00:00"), "eu-central-1")
    assert event == {
        "version": "0",
        "id": event["id"],
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-21T02:00:00Z",
        "region": "eu-central-1",
        "resources": ["arn:rule/nightly"],
        "detail": {},
    }


def test_scheduler_input_gets_its_context_attributes() -> None:
    schedule = Schedule(
        "F", "E", "ScheduleV2", "rate(1 day)", True, "s", "arn:s", input='{"at": "<aws.scheduler.scheduled-time>"}'
    )
    assert scheduled_event(schedule, at("2026-11-21T02:00:00"), "eu-central-1") == {"at": "2026-11-21T02:00:00Z"}


def test_clock_fires_a_due_schedule_with_its_scheduled_time() -> None:
    # GIVEN a clock whose time jumps past the first firing of a rate(1 minute) schedule
    times = iter([NOW])
    fired: list[tuple[str, datetime]] = []
    done = threading.Event()

    def now() -> datetime:
        return next(times, NOW + timedelta(seconds=61))

    def fire(schedule: Schedule, moment: datetime) -> None:
        fired.append((schedule.name, moment))
        done.set()

    schedules = [
        Schedule("F", "E", "Schedule", "rate(1 minute)", True, "every-minute", "arn:a"),
        Schedule("G", "E", "Schedule", "rate(1 minute)", False, "disabled", "arn:b"),
    ]
    clock = Clock(schedules, fire, tick_seconds=0.01, now=now)
    # WHEN it runs
    clock.start()
    try:
        assert done.wait(5)
    finally:
        clock.stop()
    # THEN the enabled schedule fired once, for the minute it was due
    assert fired == [("every-minute", NOW + timedelta(minutes=1))]
