"""Publishing domain events: stream changes -> events (the core's mapping) -> the bus, reporting what failed.

The publisher is handed a batch of changes, each named by the id its stream gave it (the sequence
number). It maps them all, puts every event on the bus (the adapter sends them in PutEvents calls
of ten), sends again what the bus refused, and answers the changes that are not fully published:
those are reported as batch item failures, so the stream delivers them again. Events of a change
that was already published go out again then; their ``event_id`` is the same, and consumers
de-duplicate on it (EventBridge is at-least-once anyway).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from loyalty.events import Change, Event, events_of
from loyalty_service.ports import EventBus

log = logging.getLogger(__name__)

ATTEMPTS = 3
"""Times the events the bus refused are sent (the first time included) before their change fails."""


@dataclass(frozen=True)
class Published:
    events: list[Event] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    """The ids of the changes whose events were not all put on the bus (or that could not be mapped)."""


def _without_values(error: Exception) -> str:
    """What went wrong, without the values read: a stored order's lines hold costs no log may show."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors(include_url=False, include_input=False, include_context=False)
        )
    if isinstance(error, KeyError | json.JSONDecodeError):  # a key's name, a position: no value read
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


class EventPublisher:
    def __init__(self, bus: EventBus, attempts: int = ATTEMPTS) -> None:
        self.bus = bus
        self.attempts = attempts

    def publish(self, changes: Sequence[tuple[str, Change]]) -> Published:
        owner: dict[str, str] = {}
        pending: list[Event] = []
        failed: set[str] = set()
        for change_id, change in changes:
            try:
                events = events_of(change)
            except (ValidationError, KeyError, ValueError, TypeError) as error:
                log.error("change %s of %s cannot be mapped: %s", change_id, change.table, _without_values(error))
                failed.add(change_id)
                continue
            for event in events:
                owner[event.detail.event_id] = change_id
            pending += events
        published = [event for event in pending if owner[event.detail.event_id] not in failed]
        refused = published
        for _ in range(self.attempts):
            if not refused:
                break
            refused = self.bus.publish(refused)
        failed |= {owner[event.detail.event_id] for event in refused}
        accepted = [event for event in published if owner[event.detail.event_id] not in failed]
        return Published(events=accepted, failed=failed)
