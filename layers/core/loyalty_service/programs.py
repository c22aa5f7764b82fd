"""The program in force for a request: its number read with every request, its document cached by number.

Versions are immutable, so a parsed document can be kept for the life of the process; the timeline
is not, so it is read on every request (by the stores, in the batch read they make anyway). A 201
from an activation therefore holds for every later request of every function, with no stale window.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from loyalty.errors import NotConfigured
from loyalty.program import Program
from loyalty.versions import Timeline
from loyalty_service.ports import ActiveProgram, ProgramStore

CACHED_VERSIONS = 8


@dataclass(frozen=True)
class _Parsed:
    program: Program
    document: Mapping[str, Any]


class ProgramSource:
    def __init__(self, store: ProgramStore, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._clock = clock
        self._parsed: OrderedDict[int, _Parsed] = OrderedDict()

    @property
    def store(self) -> ProgramStore:
        return self._store

    def active(self, timeline: Timeline | None = None, *, read: bool = True) -> ActiveProgram:
        """The version in force now. ``timeline``: the one a store read along with the request's own data.

        Without one, the timeline is read here, unless ``read`` is False (the caller's batch found none).
        """
        if timeline is None and read:
            timeline = self._store.timeline()
        current = timeline.current(self._clock()) if timeline is not None else None
        if current is None:
            raise NotConfigured("no program is active yet: PUT /admin/program first")
        parsed = self._version(current.version)
        return ActiveProgram(
            program=parsed.program,
            version=current.version,
            activated_at=current.at,
            document=parsed.document,
            activated_by=current.by,
        )

    def program(self, timeline: Timeline | None = None) -> Program:
        return self.active(timeline).program

    def _version(self, version: int) -> _Parsed:
        parsed = self._parsed.get(version)
        if parsed is not None:
            self._parsed.move_to_end(version)
            return parsed
        stored = self._store.version(version)
        if stored is None:
            raise NotConfigured(f"program version {version} is in the timeline but not stored")
        parsed = _Parsed(program=Program.parse(stored.document), document=stored.document)
        self._parsed[version] = parsed
        if len(self._parsed) > CACHED_VERSIONS:
            self._parsed.popitem(last=False)
        return parsed
