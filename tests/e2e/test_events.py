"""Domain events end to end: requests and jobs through the local stack, the events read at GET /_local/events."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from local.stack import DEMO
from loyalty.events import DETAILS
from sam_emulator.testing import Http
from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY, embedded, project_stack

pytestmark = pytest.mark.e2e

PROGRAM: dict[str, Any] = json.loads((DEMO / "program.json").read_text(encoding="utf-8"))
PERSONAL = ("jane@acme.example", "Jane Buyer", "ops@acme.example", "unit_cost", "0.1234")
NOT_YET_BUILT = {
    "order.returned": "/orders/{order_id}/returns",
}


def order(order_id: str, **changes: Any) -> dict[str, Any]:
    body = {
        "order_id": order_id,
        "customer_id": "EVT",
        "placed_at": "2026-11-20T10:15:00Z",
        "currency": "EUR",
        "lines": [{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}],
        "buyer_id": "jane@acme.example",
    }
    return {**body, **changes}


@pytest.fixture(scope="module")
def scenario() -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    """One account through every kind of change the engine publishes."""
    program = copy.deepcopy(PROGRAM)
    program["rewards"] = [{"id": "training-day", "name": "Training day", "points": 100, "stock": None}]
    with embedded(project_stack(), demo=False) as local:
        http = Http(local, key=STOREFRONT_KEY)
        steps = [
            http.put("/admin/program", program, key=ADMIN_KEY),
            http.put("/customers/EVT", {"email": "ops@acme.example", "name": "Jane Buyer", "email_opt_in": True}),
            http.post("/orders", order("EV-1")),
            http.post("/orders", order("EV-2", placed_at="2026-11-21T10:15:00Z")),
            http.post("/orders/EV-2/cancel"),
            http.post("/orders/EV-1/returns", {"return_id": "RET-1", "lines": [{"sku": "BOLT-M8", "quantity": 100}]}),
            http.put("/customers/EVT/membership", {"member": True, "since": "2026-11-01T00:00:00Z"}),
            http.post("/customers/EVT/referral-code"),
            http.post(
                "/admin/customers/EVT/adjustments",
                {"adjustment_id": "ADJ-1", "points": 40, "reason": "Jane"},
                key=ADMIN_KEY,
            ),
            http.post(
                "/customers/EVT/claims",
                {"claim_id": "CL-1", "reward_id": "training-day", "buyer_id": "jane@acme.example"},
            ),
            http.post(
                "/customers/EVT/claims",
                {"claim_id": "CL-2", "reward_id": "training-day", "buyer_id": "jane@acme.example"},
            ),
            http.post("/admin/claims/CL-1/fulfil", key=ADMIN_KEY),
            http.post("/admin/claims/CL-2/cancel", key=ADMIN_KEY),
            http.post("/_local/jobs/expiry", {"time": "2027-12-01T03:00:00Z"}),
        ]
        for step in steps:
            assert step.status < 300, step.text
        events = http.get("/_local/events")
        assert events.status == 200
        yield local, events.body


def built_types(local: Any) -> set[str]:
    routes = {route.path for route in local.gateway.routes}
    return {kind for kind in DETAILS if NOT_YET_BUILT.get(kind, "/") in routes or kind not in NOT_YET_BUILT}


def test_every_event_type_the_engine_builds_is_published_by_the_scenario(scenario: tuple[Any, list[Any]]) -> None:
    local, events = scenario

    published = {event["detail-type"] for event in events}

    assert built_types(local) <= published


def test_every_published_event_is_valid_against_its_schema(scenario: tuple[Any, list[Any]]) -> None:
    _, events = scenario

    for event in events:
        assert event["source"] == "loyalty"
        jsonschema.validate(event["detail"], DETAILS[event["detail-type"]].model_json_schema())


def test_no_event_carries_personal_data_or_unit_cost(scenario: tuple[Any, list[Any]]) -> None:
    _, events = scenario

    text = json.dumps(events)

    assert not [word for word in PERSONAL if word in text]
    assert all("buyer_id" not in event["detail"] for event in events)


def test_each_change_is_published_once_with_its_own_id(scenario: tuple[Any, list[Any]]) -> None:
    _, events = scenario

    ids = [event["detail"]["event_id"] for event in events]

    assert len(ids) == len(set(ids))


def test_a_redelivered_stream_batch_publishes_the_same_event_ids(scenario: tuple[Any, list[Any]]) -> None:
    local, events = scenario
    streams = local.streams
    for position in streams.positions:
        position.after = None  # every record of every stream delivered once more

    streams.drain()
    again = Http(local).get("/_local/events").body[len(events) :]

    assert sorted(event["detail"]["event_id"] for event in again) == sorted(
        event["detail"]["event_id"] for event in events
    )
