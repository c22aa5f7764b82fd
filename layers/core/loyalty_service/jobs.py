"""Scheduled jobs: find the work due at T, do it inline when small, fan it out in pages when large.

Every unit of work is idempotent by its own condition (an account no longer due, a code no longer
active, a digest already claimed for the day), so a page retried after a crash redoes nothing
that was done, and a schedule fired twice finds nothing left the second time.

One unit's failure never stops the others': a unit that raises is logged with its id and counted,
and the rest of the run (or the page) goes on. A page with a failed unit is raised as one error
after its last unit, so the queue delivers that page again (its done units redo nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from loyalty.types import Instant
from loyalty_service.ports import Job, WorkQueue

logger = logging.getLogger(__name__)

MAX_REPORTED = 100
"""Failed units named in a summary or an error (all of them are counted and logged)."""


class WorkPage(BaseModel):
    """One SQS message: a page of units of one job at one time."""

    model_config = ConfigDict(frozen=True)

    job: str
    time: Instant
    units: list[str]


class JobSummary(BaseModel):
    job: str
    time: Instant
    due: int
    fanned_out: bool
    pages: int
    changed: int
    failed: int = 0
    """Units that raised; the others were done."""
    failed_units: list[str] = []
    """The first ``MAX_REPORTED`` of them, by id."""


@dataclass
class Outcome:
    """What working a list of units came to: how many changed, which raised."""

    changed: int = 0
    failed: list[str] = field(default_factory=list)


class UnitsFailed(Exception):
    """Some units of a page raised (each logged); the others were done. The page is to be retried."""

    def __init__(self, job: str, units: list[str]) -> None:
        named = ", ".join(units[:MAX_REPORTED])
        super().__init__(f"{job}: {len(units)} unit(s) failed: {named}")
        self.job = job
        self.units = units


@dataclass(frozen=True)
class JobLimits:
    inline: int
    """Up to this many units the scheduled function does the work itself."""
    page_size: int


def run_job(job: Job, at: datetime, *, limits: JobLimits, queue: WorkQueue | None) -> JobSummary:
    units = list(job.due(at))
    if len(units) <= limits.inline or queue is None:
        outcome = work_units(job, units, at)
        return JobSummary(
            job=job.name,
            time=at,
            due=len(units),
            fanned_out=False,
            pages=0,
            changed=outcome.changed,
            failed=len(outcome.failed),
            failed_units=outcome.failed[:MAX_REPORTED],
        )
    pages = [WorkPage(job=job.name, time=at, units=page) for page in _pages(units, limits.page_size)]
    queue.send(pages)
    return JobSummary(job=job.name, time=at, due=len(units), fanned_out=True, pages=len(pages), changed=0)


def work_units(job: Job, units: Iterable[str], at: datetime) -> Outcome:
    """Do every unit in order; one that raises is logged with its id and counted, and the next one goes on."""
    outcome = Outcome()
    for unit in units:
        try:
            outcome.changed += job.process(unit, at)
        except Exception:
            logger.exception("job unit failed", extra={"job": job.name, "unit": unit, "at": at.isoformat()})
            outcome.failed.append(unit)
    return outcome


def work_page(job: Job, page: WorkPage) -> int:
    """Do a page's units in order. Raises ``UnitsFailed`` after the last one when any raised: the retry
    redoes only those (done units are idempotent), and the page's other units are not held back."""
    if page.job != job.name:
        raise ValueError(f"a {page.job} page sent to the {job.name} worker")
    outcome = work_units(job, page.units, page.time)
    if outcome.failed:
        raise UnitsFailed(job.name, outcome.failed)
    return outcome.changed


def _pages(units: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(units), size):
        yield units[start : start + size]
