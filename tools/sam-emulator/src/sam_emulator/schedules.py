"""The template's schedules: when each fires, the event it delivers, and a wall clock that fires them.

``Schedule`` events are EventBridge rules (UTC); ``ScheduleV2`` events are EventBridge Scheduler
schedules (``ScheduleExpressionTimezone`` honoured). Expressions are ``rate(...)``, ``cron(...)``
(EventBridge's six fields: minutes hours day-of-month month day-of-week year, ``?`` for "any",
day-of-week 1-7 = SUN-SAT) and, for Scheduler, ``at(...)``. The cron arithmetic is croniter's; this
module only translates EventBridge's dialect into croniter's five fields and checks the year itself.

A function receives EventBridge's Scheduled Event (its ``time`` is the scheduled time: the jobs read
their time T from it), or the event's ``Input`` when the template gives one.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from sam_emulator.template import ACCOUNT_ID, Schedule

log = logging.getLogger("sam_emulator.schedules")

RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
CRON = re.compile(r"^cron\((.+)\)$")
AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
FAR_FUTURE_YEARS = 200
NUMBER = re.compile(r"\d+")


def iso(moment: datetime) -> str:
    """``2026-11-20T02:00:00Z``, as EventBridge writes an event's ``time``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An ISO-8601 instant; one without an offset is taken as UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day_of_week(field: str) -> str:
    """EventBridge day-of-week (1-7 = SUN-SAT, ``6L`` last Friday, ``6#3`` third Friday) in croniter's terms."""

    def shift(match: re.Match[str]) -> str:
        return str(int(match.group(0)) - 1)

    converted = []
    for part in field.split(","):
        if part.endswith("L") and part[:-1].isdigit():
            converted.append(f"L{int(part[:-1]) - 1}")
        elif "#" in part:
            day, nth = part.split("#", 1)
            converted.append(f"{NUMBER.sub(shift, day)}#{nth}")
        elif "/" in part:
            span, step = part.split("/", 1)
            converted.append(f"{NUMBER.sub(shift, span)}/{step}")
        else:
            converted.append(NUMBER.sub(shift, part))
    return ",".join(converted)


def _year_matches(field: str, year: int) -> bool:
    for part in field.split(","):
        span, _, step = part.partition("/")
        if span in ("*", "?"):
            low, high = 1970, 2199
        elif "-" in span:
            low, high = (int(bound) for bound in span.split("-", 1))
        else:
            low = int(span)
            high = 2199 if step else low
        if low <= year <= high and (year - low) % int(step or 1) == 0:
            return True
    return False


def croniter_expression(fields: str) -> tuple[str, str]:
    """EventBridge's six cron fields -> (croniter's five fields, the year field)."""
    parts = fields.split()
    if len(parts) != 6:
        raise ValueError(f"cron({fields}): EventBridge cron has 6 fields (minutes hours day month weekday year)")
    minutes, hours, day, month, weekday, year = parts
    if "W" in day:
        raise ValueError(f"cron({fields}): the W (nearest weekday) option is not supported locally")
    if day != "?" and weekday != "?":
        raise ValueError(f"cron({fields}): one of day-of-month and day-of-week must be ?")
    day = "*" if day == "?" else day
    weekday = "*" if weekday == "?" else _day_of_week(weekday)
    return f"{minutes} {hours} {day} {month} {weekday}", year


@dataclass(frozen=True)
class Timetable:
    """When a schedule expression fires; ``anchor`` is when a ``rate`` schedule was created."""

    expression: str
    timezone: str = "UTC"
    anchor: datetime | None = None

    def __post_init__(self) -> None:
        if not (RATE.match(self.expression) or CRON.match(self.expression) or AT.match(self.expression)):
            raise ValueError(f"{self.expression!r}: not a rate(...), cron(...) or at(...) expression")
        if cron := CRON.match(self.expression):
            croniter_expression(cron.group(1))

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing strictly after ``moment`` (UTC), or None if there is none."""
        zone = ZoneInfo(self.timezone)
        if rate := RATE.match(self.expression):
            period = timedelta(seconds=int(rate.group(1)) * UNIT_SECONDS[rate.group(2).removesuffix("s")])
            anchor = self.anchor or moment
            periods = max(0, (moment - anchor) // period) + 1
            return anchor + periods * period
        if at := AT.match(self.expression):
            once = datetime.fromisoformat(at.group(1)).replace(tzinfo=zone).astimezone(UTC)
            return once if once > moment else None
        cron = CRON.match(self.expression)
        assert cron is not None
        fields, year = croniter_expression(cron.group(1))
        start = moment.astimezone(zone)
        for _ in range(FAR_FUTURE_YEARS):
            candidate: datetime = croniter(fields, start).get_next(datetime)
            if _year_matches(year, candidate.year):
                return candidate.astimezone(UTC)
            start = datetime(candidate.year + 1, 1, 1, tzinfo=zone) - timedelta(seconds=1)
        return None


def scheduled_event(schedule: Schedule, moment: datetime, region: str) -> Any:
    """What the function receives when ``schedule`` fires at ``moment``."""
    if schedule.input is not None:
        text = schedule.input
        for name, value in {
            "<aws.scheduler.scheduled-time>": iso(moment),
            "<aws.scheduler.schedule-arn>": schedule.arn,
            "<aws.scheduler.execution-id>": str(uuid.uuid4()),
            "<aws.scheduler.attempt-number>": "1",
        }.items():
            text = text.replace(name, value)
        return json.loads(text)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": iso(moment),
        "region": region,
        "resources": [schedule.arn],
        "detail": {},
    }


class Clock:
    """A background thread: fires each enabled schedule at its times, and calls ``tick`` every second."""

    def __init__(
        self,
        schedules: Iterable[Schedule],
        fire: Callable[[Schedule, datetime], Any],
        *,
        tick: Callable[[], Any] | None = None,
        tick_seconds: float = 1.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._now = now
        started = now()
        self._timetables = [
            (schedule, Timetable(schedule.expression, schedule.timezone, anchor=started))
            for schedule in schedules
            if schedule.enabled
        ]
        self._fire = fire
        self._tick = tick
        self._tick_seconds = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-clock", daemon=True)
        self.due = {schedule.name: timetable.next_after(started) for schedule, timetable in self._timetables}

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._tick_seconds):
            for schedule, timetable in self._timetables:
                due = self.due[schedule.name]
                now = self._now()
                if due is not None and due <= now:
                    # EventBridge does not replay the firings a sleeping laptop missed; the jobs catch up by design.
                    self.due[schedule.name] = timetable.next_after(now)
                    self._safely(self._fire, schedule, due)
            if self._tick is not None:
                self._safely(self._tick)

    @staticmethod
    def _safely(action: Callable[..., Any], *arguments: Any) -> None:
        try:
            action(*arguments)
        except Exception:
            log.exception("scheduled work failed")
