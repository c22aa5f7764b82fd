"""Scheduled jobs: find the work due at T, do it inline when small, fan it out in pages when large.

Every unit of work is idempotent by its own condition (an account no longer due, a code no longer
active, a digest already claimed for the day), so a page retried after a crash redoes nothing
that was done, and a schedule fired twice finds nothing left the second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from loyalty.types import Instant
from loyalty_service.ports import Job, WorkQueue


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


@dataclass(frozen=True)
class JobLimits:
    inline: int
    """Up to this many units the scheduled function does the work itself."""
    page_size: int


def run_job(job: Job, at: datetime, *, limits: JobLimits, queue: WorkQueue | None) -> JobSummary:
    units = list(job.due(at))
    if len(units) <= limits.inline or queue is None:
        changed = sum(job.process(unit, at) for unit in units)
        return JobSummary(job=job.name, time=at, due=len(units), fanned_out=False, pages=0, changed=changed)
    pages = [WorkPage(job=job.name, time=at, units=page) for page in _pages(units, limits.page_size)]
    queue.send(pages)
    return JobSummary(job=job.name, time=at, due=len(units), fanned_out=True, pages=len(pages), changed=0)


def work_page(job: Job, page: WorkPage) -> int:
    """Do a page in order. An error leaves the units before it done and raises: the retry skips them."""
    if page.job != job.name:
        raise ValueError(f"a {page.job} page sent to the {job.name} worker")
    return sum(job.process(unit, page.time) for unit in page.units)


def _pages(units: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(units), size):
        yield units[start : start + size]
