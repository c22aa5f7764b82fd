"""What the functions put on EventBridge buses, recorded in this process, in the order it was accepted.

moto's EventBridge delivers events to rule targets and keeps nothing else; the emulation wraps its
``PutEvents`` so that every accepted entry is kept (``published``) and handed to the listeners
(``listen``), e.g. a local webhook.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from typing import Any

from moto.events.models import EventsBackend

_LOCK = threading.RLock()
_PUBLISHED: list[dict[str, Any]] = []
_LISTENERS: list[Callable[[dict[str, Any]], None]] = []
_MARK = "_recorded_by_sam_emulator"


def record_put_events() -> None:
    """Wrap moto's ``PutEvents`` (idempotent): accepted entries are kept and told to the listeners."""
    original = EventsBackend.put_events
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answers = original(self, events)
        with _LOCK:
            for entry, answer in zip(events, answers, strict=False):
                if "EventId" not in answer:
                    continue
                event = {
                    "id": answer["EventId"],
                    "bus": str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1],
                    "source": entry.get("Source"),
                    "detail-type": entry.get("DetailType"),
                    "detail": json.loads(entry["Detail"]),
                    "region": self.region_name,
                }
                _PUBLISHED.append(event)
                for listener in list(_LISTENERS):
                    listener(event)
        return answers

    setattr(put_events, _MARK, True)
    EventsBackend.put_events = put_events  # type: ignore[method-assign]


def published(region: str | None = None) -> list[dict[str, Any]]:
    with _LOCK:
        return [event for event in _PUBLISHED if region is None or event["region"] == region]


def listen(listener: Callable[[dict[str, Any]], None]) -> None:
    with _LOCK:
        _LISTENERS.append(listener)


def forget() -> None:
    """Drop what was recorded and the listeners (a new stack in the same process starts empty)."""
    with _LOCK:
        _PUBLISHED.clear()
        _LISTENERS.clear()
