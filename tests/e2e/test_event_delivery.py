"""How events leave the local stack: a failing record retried from the stream, a webhook on a real loopback server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
from moto.events.models import EventsBackend

from local.stack import DEMO
from sam_emulator.testing import Http
from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY, embedded, project_stack

pytestmark = pytest.mark.e2e

PROGRAM: dict[str, Any] = json.loads((DEMO / "program.json").read_text(encoding="utf-8"))
ORDER = {
    "order_id": "WH-1",
    "customer_id": "HOOK",
    "placed_at": "2026-11-20T10:15:00Z",
    "currency": "EUR",
    "lines": [{"sku": "BOLT-M8", "quantity": 10, "unit_price": "0.45", "category": "fasteners"}],
}


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        Receiver.received.append(({name.lower(): value for name, value in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_a_configured_local_webhook_receives_each_event_signed(receiver: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_WEBHOOK_URL", receiver)
    monkeypatch.setenv("LOCAL_WEBHOOK_SECRET", "s3cret")
    with embedded(project_stack(), demo=False) as local:
        http = Http(local, key=STOREFRONT_KEY)
        assert http.put("/admin/program", PROGRAM, key=ADMIN_KEY).status == 201
        assert http.post("/orders", ORDER).status == 201

        events = http.get("/_local/events").body

    assert [body["event_id"] for _, body in Receiver.received] == [event["detail"]["event_id"] for event in events]
    headers, body = Receiver.received[0]
    assert headers["x-loyalty-signature"] == "s3cret"
    assert headers["x-loyalty-event-type"] == "order.committed"
    assert body["order_id"] == "WH-1"


def test_a_record_whose_events_the_bus_refuses_is_reported_failed_and_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    original = EventsBackend.put_events
    refusals = {"left": 4}  # more than the publisher's own attempts: the stream must deliver the record again

    def flaky(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if any(entry["DetailType"] == "order.committed" for entry in events) and refusals["left"] > 0:
            refusals["left"] -= 1
            return [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"} for _ in events]
        return original(self, events)

    with embedded(project_stack(), demo=False) as local:
        monkeypatch.setattr(EventsBackend, "put_events", flaky)
        http = Http(local, key=STOREFRONT_KEY)
        assert http.put("/admin/program", PROGRAM, key=ADMIN_KEY).status == 201
        assert http.post("/orders", ORDER).status == 201
        answers: list[Any] = []
        function = local.functions["EventsFunction"]
        invoke = function.invoke
        monkeypatch.setattr(function, "invoke", lambda event: answers.append(invoke(event)) or answers[-1])

        summary = local.streams.drain()
        events = Http(local).get("/_local/events").body

    assert any(answer["batchItemFailures"] for answer in answers)
    assert summary.retried >= 1
    assert [event["detail-type"] for event in events].count("order.committed") == 1
