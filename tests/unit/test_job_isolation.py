"""A job's units are isolated: one that raises is reported by id, and every other unit is still done."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

import pytest

from loyalty_service.jobs import JobLimits, UnitsFailed, WorkPage, run_job, work_page
from loyalty_service.ports import Job
from tests.unit.builders import at

NIGHT = at("2027-01-10T02:00:00Z")


class PoisonedJob(Job):
    """Changes every unit it is given, except the poisoned ones, which raise."""

    name = "tiers"

    def __init__(self, units: list[str], poisoned: set[str]) -> None:
        self.units = units
        self.poisoned = poisoned
        self.done: list[str] = []

    def due(self, at: datetime) -> Iterable[str]:
        return list(self.units)

    def process(self, unit: str, at: datetime) -> bool:
        if unit in self.poisoned:
            raise ValueError(f"cannot read account {unit}")
        self.done.append(unit)
        return True


def test_an_inline_run_reports_the_failed_unit_and_does_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN five accounts due, the second one poisoned
    job = PoisonedJob(["A", "B", "C", "D", "E"], poisoned={"B"})
    # WHEN the job runs inline
    with caplog.at_level(logging.ERROR, logger="loyalty_service.jobs"):
        summary = run_job(job, NIGHT, limits=JobLimits(inline=10, page_size=2), queue=None)
    # THEN the four others are done, and B is counted, named and logged with its id
    assert job.done == ["A", "C", "D", "E"]
    assert (summary.due, summary.changed, summary.failed, summary.failed_units) == (5, 4, 1, ["B"])
    assert [getattr(record, "unit", None) for record in caplog.records] == ["B"]


def test_a_page_works_every_unit_then_raises_naming_the_failed_ones() -> None:
    job = PoisonedJob([], poisoned={"A", "C"})

    with pytest.raises(UnitsFailed) as raised:
        work_page(job, WorkPage(job="tiers", time=NIGHT, units=["A", "B", "C", "D"]))

    assert job.done == ["B", "D"]
    assert raised.value.units == ["A", "C"]


def test_a_page_without_failures_answers_how_many_changed() -> None:
    job = PoisonedJob([], poisoned=set())

    assert work_page(job, WorkPage(job="tiers", time=NIGHT, units=["A", "B"])) == 2
