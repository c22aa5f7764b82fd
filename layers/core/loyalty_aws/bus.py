"""The EventBridge bus: events put in ``PutEvents`` calls of at most ten entries, refused entries answered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loyalty.events import SOURCE, Event
from loyalty_aws import clients

PUT_EVENTS_LIMIT = 10
"""Entries one ``PutEvents`` call takes."""


class EventBridgeBus:
    def __init__(self, bus_name: str, client: Any = None) -> None:
        self.bus_name = bus_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = clients.events()
        return self._client

    def publish(self, events: Sequence[Event]) -> list[Event]:
        refused: list[Event] = []
        for start in range(0, len(events), PUT_EVENTS_LIMIT):
            chunk = events[start : start + PUT_EVENTS_LIMIT]
            answer = self.client.put_events(Entries=[self._entry(event) for event in chunk])
            if not answer.get("FailedEntryCount"):
                continue
            # Entries answer in the order sent; a refused one carries an ErrorCode (throttling, internal error).
            refused += [event for event, entry in zip(chunk, answer["Entries"], strict=True) if entry.get("ErrorCode")]
        return refused

    def _entry(self, event: Event) -> dict[str, Any]:
        return {
            "Source": SOURCE,
            "DetailType": event.detail_type,
            "Detail": event.detail_json(),
            "EventBusName": self.bus_name,
        }
