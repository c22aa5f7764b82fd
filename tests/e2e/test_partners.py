"""Partners end to end through the local stack: a distributor credited by an order it brought, then reversed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import DEMO
from sam_emulator.testing import Http
from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY, embedded, project_stack

pytestmark = pytest.mark.e2e

PROGRAM: dict[str, Any] = {
    **json.loads((DEMO / "program.json").read_text(encoding="utf-8")),
    "partners": {"points_per_unit": "0.5", "counts_toward_tier": True},
}


@pytest.fixture(scope="module")
def api() -> Iterator[Http]:
    with embedded(project_stack(), demo=False) as local:
        http = Http(local, key=STOREFRONT_KEY)
        activated = http.put("/admin/program", PROGRAM, key=ADMIN_KEY)
        assert activated.status == 201, activated.text
        yield http


def test_a_partner_is_credited_by_the_order_it_brought_and_the_cancel_takes_it_back(api: Http) -> None:
    # GIVEN a distributor's profile marked as a partner
    assert api.put("/customers/DIST-1", {"name": "Nord Distribution", "partner": True}).status == 200
    order = {
        "order_id": "SO-P1",
        "customer_id": "SHOP-1",
        "partner_id": "DIST-1",
        "placed_at": "2026-11-20T10:15:00Z",
        "currency": "EUR",
        "lines": [{"sku": "DRILL", "quantity": 4, "unit_price": "25.25"}],
        "buyer_id": "jane@shop.example",
    }

    # WHEN the order it brought (101.00) is committed
    committed = api.post("/orders", order)

    # THEN the distributor earns floor(101.00 x 0.5) = 50 points, and its summary counts the order
    assert committed.status == 201, committed.text
    assert committed.body["partner"] == {"partner_id": "DIST-1", "points": 50}
    summary = api.get("/customers/DIST-1").body
    assert summary["balance"] == 50
    assert summary["partner"] == {"orders": 1, "sales": "101.00", "points": 50}
    assert summary["tier_progress"]["volume"] == 4
    (earned,) = api.get("/customers/DIST-1/ledger").body["entries"]
    assert (earned["kind"], earned["points"], earned["rule"], earned["order_id"], earned["buyer_id"]) == (
        "earn",
        50,
        "partner",
        "SO-P1",
        None,
    )

    # WHEN the order is cancelled
    assert api.post("/orders/SO-P1/cancel").status == 200

    # THEN the credit, the volume and the totals are gone again
    summary = api.get("/customers/DIST-1").body
    assert summary["balance"] == 0
    assert summary["partner"] == {"orders": 0, "sales": "0.00", "points": 0}
    assert summary["tier_progress"]["volume"] == 0
    entries = api.get("/customers/DIST-1/ledger").body["entries"]
    assert [(entry["kind"], entry["points"]) for entry in entries] == [("reverse", -50), ("earn", 50)]


def test_an_order_naming_an_account_that_is_no_partner_is_a_422(api: Http) -> None:
    assert api.put("/customers/PLAIN-1", {"name": "Plain GmbH"}).status == 200
    order = {
        "order_id": "SO-P2",
        "customer_id": "SHOP-2",
        "partner_id": "PLAIN-1",
        "placed_at": "2026-11-20T10:15:00Z",
        "currency": "EUR",
        "lines": [{"sku": "DRILL", "quantity": 1, "unit_price": "10"}],
    }

    reply = api.post("/orders", order)

    assert reply.status == 422, reply.text
    assert [detail["field"] for detail in reply.body["error"]["details"]] == ["partner_id"]
