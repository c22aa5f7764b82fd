"""Admin adjustments of an account's points: exactly once by adjustment id, whatever the retries and races."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from loyalty.adjustments import Adjustment, AdjustmentRecord, adjust, replayed
from loyalty.errors import NotFound
from loyalty_service.ports import AccountChange, AdjustmentAlreadyMade, AdjustmentStore, StaleState
from loyalty_service.programs import ProgramSource
from loyalty_service.retries import ContendedState, backoff

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class Adjusted:
    record: AdjustmentRecord
    created: bool
    """False when the same adjustment had been made before: the stored answer is returned."""


class AdjustmentService:
    def __init__(
        self,
        store: AdjustmentStore,
        programs: ProgramSource,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pause: Callable[[int], None] = backoff,
    ) -> None:
        self._store = store
        self._programs = programs
        self._clock = clock
        self._pause = pause

    def adjust(self, customer_id: str, adjustment: Adjustment, *, by: str) -> Adjusted:
        """Add a lot or spend the oldest lots; 404 for an account never stored, 409 for too few points."""
        for attempt in range(MAX_ATTEMPTS):
            context = self._store.load_for_adjustment(customer_id, adjustment.adjustment_id)
            if context.record is not None:
                return Adjusted(record=replayed(context.record, adjustment), created=False)
            if not context.account.exists:
                raise NotFound(f"no account {customer_id!r}")
            program = self._programs.active(context.timeline, read=False).program
            at = self._clock()
            made = adjust(program, context.account.account, adjustment, at=at, by=by)
            before = context.account
            change = AccountChange(
                before=before,
                account=made.account,
                tier_review_on=before.tier_review_on,
                activity_at=at,
                event_at=None,
            )
            try:
                self._store.save_adjustment(made, change)
            except (AdjustmentAlreadyMade, StaleState):
                self._pause(attempt)
                continue
            return Adjusted(record=made.record, created=True)
        raise ContendedState
