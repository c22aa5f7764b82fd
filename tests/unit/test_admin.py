"""Program activation: validated first, retried when another activation wins the pointer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest

from loyalty.errors import InvalidInput
from loyalty.program import Program
from loyalty_service.admin import ConcurrentActivation, ProgramAdmin
from loyalty_service.ports import ActiveProgram, StaleState
from loyalty_service.programs import ProgramSource
from tests.unit.builders import at, spec_document


class Versions:
    def __init__(self, lost_races: int = 0) -> None:
        self.lost_races = lost_races
        self.stored: list[ActiveProgram] = []

    def active(self) -> ActiveProgram | None:
        return self.stored[-1] if self.stored else None

    def activate(self, program: Program, document: Mapping[str, Any], at: datetime) -> ActiveProgram:
        if self.lost_races:
            self.lost_races -= 1
            raise StaleState("pointer moved")
        active = ActiveProgram(program=program, version=len(self.stored) + 1, activated_at=at, document=document)
        self.stored.append(active)
        return active


def admin(versions: Versions) -> ProgramAdmin:
    return ProgramAdmin(
        ProgramSource(versions, ttl_seconds=0), clock=lambda: at("2026-11-20T10:00:00Z"), pause=lambda _: None
    )


def test_a_lost_race_is_retried_as_the_next_version() -> None:
    versions = Versions(lost_races=2)

    active = admin(versions).activate(spec_document())

    assert active.version == 1
    assert active.activated_at == at("2026-11-20T10:00:00Z")


def test_an_activation_that_keeps_losing_is_a_conflict() -> None:
    with pytest.raises(ConcurrentActivation):
        admin(Versions(lost_races=10)).activate(spec_document())


def test_an_invalid_document_is_refused_before_anything_is_stored() -> None:
    versions = Versions()

    with pytest.raises(InvalidInput) as refused:
        admin(versions).activate({**spec_document(), "point_value": "0"})

    assert [detail.field for detail in refused.value.details] == ["point_value"]
    assert versions.stored == []
