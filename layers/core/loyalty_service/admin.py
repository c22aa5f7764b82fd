"""Program administration: validate a document and activate it as the next version; read the active one."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from loyalty.errors import Conflict
from loyalty_service.ports import ActiveProgram, StaleState
from loyalty_service.programs import ProgramSource

MAX_ATTEMPTS = 4


class ConcurrentActivation(Conflict):
    code = "concurrent_activation"

    def __init__(self) -> None:
        super().__init__("other program versions were being activated at the same time; send the document again")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.05 * 2**attempt))  # jitter, not a secret


class ProgramAdmin:
    def __init__(
        self,
        programs: ProgramSource,
        *,
        clock: Callable[[], datetime] = _now,
        pause: Callable[[int], None] = _backoff,
    ) -> None:
        self._programs = programs
        self._clock = clock
        self._pause = pause

    def active(self) -> ActiveProgram:
        """The active version (``NotConfigured`` before the first activation: 503)."""
        return self._programs.active()

    def activate(self, document: Mapping[str, Any]) -> ActiveProgram:
        """Validate (``InvalidInput`` with field paths: 422) and activate as the next version.

        Earlier versions stay stored. Two activations at once are ordered: the one that loses the race
        on the version pointer reads the new current version and becomes the one after it.
        """
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._programs.activate(document, at=self._clock())
            except StaleState:
                self._pause(attempt)
        raise ConcurrentActivation
