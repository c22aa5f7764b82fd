"""Enrollment end to end: an invite-only and a paid program through the local stack's HTTP API."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import DEMO
from sam_emulator.testing import Http
from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY, embedded, project_stack

pytestmark = pytest.mark.e2e

PROGRAM: dict[str, Any] = json.loads((DEMO / "program.json").read_text(encoding="utf-8"))


def order(order_id: str, customer_id: str, placed_at: str, **changes: Any) -> dict[str, Any]:
    """10 valves for 400.00: 400 base points for a member under the demo program, no code issued."""
    lines = [{"sku": "VALVE-20", "quantity": 10, "unit_price": "40.00", "category": "valves"}]
    body = {"order_id": order_id, "customer_id": customer_id, "placed_at": placed_at, "currency": "EUR"}
    return {**body, "lines": lines, **changes}


@pytest.fixture(scope="module")
def http() -> Iterator[Http]:
    with embedded(project_stack(), demo=False) as local:
        yield Http(local, key=STOREFRONT_KEY)


def activate(http: Http, mode: str) -> None:
    program = copy.deepcopy(PROGRAM)
    program["enrollment"] = {"mode": mode}
    assert http.put("/admin/program", program, key=ADMIN_KEY).status < 300


def test_an_invite_only_program_scores_nothing_before_enrolment_and_earns_after(http: Http) -> None:
    activate(http, "invite")
    # GIVEN an account that was never enrolled: its order commits, earning nothing
    before = http.post("/orders", order("INV-1", "INVITED", "2026-10-20T10:00:00Z"))
    assert before.status == 201, before.body
    assert (before.body["points"], before.body["breakdown"], before.body["member"]) == (0, [], False)

    # WHEN the storefront enrols it from November 1st
    enrolled = http.put("/customers/INVITED/membership", {"member": True, "since": "2026-11-01T00:00:00Z"})
    assert enrolled.status == 200, enrolled.body
    assert enrolled.body == {"member": True, "since": "2026-11-01T00:00:00Z", "until": None}

    # THEN its next order earns its 400 points, and the summary shows the membership
    after = http.post("/orders", order("INV-2", "INVITED", "2026-11-20T10:00:00Z"))
    assert (after.status, after.body["points"], after.body["member"]) == (201, 400, True)
    summary = http.get("/customers/INVITED").body
    assert (summary["balance"], summary["membership"]) == (400, enrolled.body)


def test_a_paid_membership_earns_until_it_ends(http: Http) -> None:
    activate(http, "paid")
    # GIVEN a paid membership for November, which needs an until
    refused = http.put("/customers/PAYING/membership", {"member": True})
    assert (refused.status, [detail["field"] for detail in refused.body["error"]["details"]]) == (422, ["until"])
    window = {"member": True, "since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"}
    assert http.put("/customers/PAYING/membership", window).status == 200

    # WHEN it orders inside the window, and at its end
    inside = http.post("/orders", order("PAY-1", "PAYING", "2026-11-30T23:59:59Z"))
    at_end = http.post("/orders", order("PAY-2", "PAYING", "2026-12-01T00:00:00Z"))

    # THEN only the first earns; a redemption at the end is refused as the non-member's it is
    assert (inside.body["points"], inside.body["member"]) == (400, True)
    assert (at_end.status, at_end.body["points"], at_end.body["member"]) == (201, 0, False)
    redeem = http.post("/orders/preview", order("PAY-3", "PAYING", "2026-12-02T00:00:00Z", redeem_points=100))
    assert (redeem.status, redeem.body["error"]["code"]) == (409, "not_member")
    ended = http.put("/customers/PAYING/membership", {"member": False})
    assert ended.body == {"member": False, "since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"}
