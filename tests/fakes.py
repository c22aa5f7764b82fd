"""In-memory implementations of the service layer's ports, shared by the unit tests of the use cases."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from loyalty.program import Program
from loyalty.versions import Timeline
from loyalty_service.ports import StaleState, StoredVersion
from loyalty_service.programs import ProgramSource


class InMemoryProgramStore:
    """``ProgramStore`` in a dict; ``lost_races`` makes that many writes fail as if another one won."""

    def __init__(self, *, lost_races: int = 0) -> None:
        self.lost_races = lost_races
        self.stored: dict[int, StoredVersion] = {}
        self.current: Timeline | None = None
        self.reads: dict[str, int] = {"timeline": 0, "version": 0}

    def timeline(self) -> Timeline | None:
        self.reads["timeline"] += 1
        return self.current

    def version(self, number: int) -> StoredVersion | None:
        self.reads["version"] += 1
        return self.stored.get(number)

    def versions(self) -> list[StoredVersion]:
        return [self.stored[number] for number in sorted(self.stored, reverse=True)]

    def save_version(self, stored: StoredVersion, before: Timeline | None, after: Timeline) -> None:
        self._check(before)
        self.stored[stored.version] = stored
        self.current = after

    def save_timeline(self, before: Timeline, after: Timeline) -> None:
        self._check(before)
        self.current = after

    def _check(self, before: Timeline | None) -> None:
        if self.lost_races:
            self.lost_races -= 1
            raise StaleState("the timeline moved")
        if before != self.current:
            raise StaleState("the timeline moved")


def programs_in_force(
    program: Program | Mapping[str, Any] | None, *, since: datetime, by: str = "test"
) -> InMemoryProgramStore:
    """A store whose version 1 (``program``) has been in force since ``since``; empty for ``None``."""
    store = InMemoryProgramStore()
    if program is None:
        return store
    document = program.model_dump(mode="json", by_alias=True) if isinstance(program, Program) else dict(program)
    timeline = Timeline().with_new_version(at=since, by=by, activates_at=None)
    store.save_version(StoredVersion(version=1, document=document, created_at=since, created_by=by), None, timeline)
    return store


def program_source(program: Program | Mapping[str, Any] | None, *, since: datetime) -> ProgramSource:
    return ProgramSource(programs_in_force(program, since=since), clock=lambda: since)
