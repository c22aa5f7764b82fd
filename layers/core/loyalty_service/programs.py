"""The active program, cached for a short while: every scoring request needs it, few change it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from loyalty.errors import NotConfigured
from loyalty.program import Program
from loyalty_service.ports import ActiveProgram, ProgramStore


class ProgramSource:
    def __init__(
        self, store: ProgramStore, *, ttl_seconds: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._monotonic = monotonic
        self._cached: ActiveProgram | None = None
        self._read_at = float("-inf")

    def active(self) -> ActiveProgram:
        if self._cached is None or self._monotonic() - self._read_at >= self._ttl:
            self._cached = self._store.active()
            self._read_at = self._monotonic()
        if self._cached is None:
            raise NotConfigured("no program is active yet: PUT /admin/program first")
        return self._cached

    def program(self) -> Program:
        return self.active().program

    def activate(self, document: Mapping[str, Any], *, at: datetime | None = None) -> ActiveProgram:
        program = Program.parse(document)
        activated = self._store.activate(program, document, at or datetime.now(UTC))
        self._cached, self._read_at = activated, self._monotonic()
        return activated
