"""The API end to end through the local stack: gateway, authorizers and the real functions on one moto.

One stack for the module (the program is activated once, with the admin key, as the first request);
each test works on its own accounts and orders.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import DEMO
from sam_emulator.testing import Http, Reply
from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY, embedded, project_stack

pytestmark = pytest.mark.e2e

PROGRAM: dict[str, Any] = json.loads((DEMO / "program.json").read_text(encoding="utf-8"))


def order(customer_id: str, order_id: str, **changes: Any) -> dict[str, Any]:
    """SPEC section 4's order: 1,000 fasteners at 0.45 (450.00, 1,000 items)."""
    body: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": customer_id,
        "placed_at": "2026-11-20T10:15:00Z",
        "currency": "EUR",
        "lines": [{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}],
        "buyer_id": "jane@acme.example",
    }
    return {**body, **copy.deepcopy(changes)}


def assert_error(reply: Reply, status: int, code: str) -> dict[str, Any]:
    """A 4xx in the API's one envelope: ``{"error": {"code", "message", "details"}}``."""
    assert reply.status == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    assert set(reply.body) == {"error"}
    error = reply.body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], list)
    return error


@pytest.fixture(scope="module")
def api() -> Iterator[Http]:
    with embedded(project_stack(), demo=False) as local:
        http = Http(local, key=STOREFRONT_KEY)
        activated = http.put("/admin/program", PROGRAM, key=ADMIN_KEY)
        assert activated.status == 201, activated.text
        yield http


# ---------------------------------------------------------------------- keys


def test_no_key_is_401(api: Http) -> None:
    assert_error(api.get("/customers/ACME", anonymous=True), 401, "unauthorized")


def test_unknown_key_is_401(api: Http) -> None:
    assert_error(api.get("/customers/ACME", key="not-a-key"), 401, "unauthorized")


def test_storefront_key_on_an_admin_route_is_403(api: Http) -> None:
    assert_error(api.get("/admin/program"), 403, "forbidden")
    assert_error(api.delete("/customers/ACME"), 403, "forbidden")


def test_admin_key_passes_storefront_routes(api: Http) -> None:
    assert api.post("/orders/preview", order("ADMIN-1", "SO-A1"), key=ADMIN_KEY).status == 200


def test_unknown_route_is_404(api: Http) -> None:
    assert_error(api.get("/loyalty"), 404, "not_found")


# ---------------------------------------------------------------------- program


def test_admin_reads_the_active_program(api: Http) -> None:
    reply = api.get("/admin/program", key=ADMIN_KEY)
    assert reply.status == 200
    assert reply.body["version"] >= 1
    assert reply.body["program"]["name"] == PROGRAM["name"]
    assert {rule["kind"] for rule in reply.body["program"]["rules"]} == {rule["kind"] for rule in PROGRAM["rules"]}


def test_invalid_program_is_422_with_field_errors(api: Http) -> None:
    broken = {**PROGRAM, "currency": "euro", "rules": [{"id": "x", "kind": "cart_amount_bonus", "points": 5}]}
    error = assert_error(api.put("/admin/program", broken, key=ADMIN_KEY), 422, "validation_error")
    fields = {detail["field"] for detail in error["details"]}
    assert "currency" in fields
    assert any(field.startswith("rules.0") for field in fields)
    assert all({"field", "message", "type"} <= set(detail) for detail in error["details"])


# ---------------------------------------------------------------------- orders


def test_preview_scores_the_cart_and_writes_nothing(api: Http) -> None:
    reply = api.post("/orders/preview", order("PREVIEW-1", "SO-P1"))
    assert reply.status == 200
    decision = reply.body
    assert decision["subtotal"] == "450.00"
    assert decision["eligible_amount"] == "450.00"
    assert decision["breakdown"] == [
        {"rule": "base", "points": 450},
        {"rule": "fasteners", "points": 450},
        {"rule": "bulk", "points": 1000},
    ]
    assert decision["points"] == 1900
    assert decision["tier"] == {"before": "Bronze", "after": "Silver"}
    assert_error(api.get("/customers/PREVIEW-1"), 404, "not_found")


def test_commit_is_201_then_the_same_order_is_200_with_the_same_body(api: Http) -> None:
    first = api.post("/orders", order("COMMIT-1", "SO-C1"))
    again = api.post("/orders", order("COMMIT-1", "SO-C1"))
    assert first.status == 201
    assert again.status == 200
    assert again.body == first.body
    assert first.body["balance"] == 1900
    assert api.get("/customers/COMMIT-1").body["balance"] == 1900


def test_same_order_id_with_another_cart_is_409(api: Http) -> None:
    assert api.post("/orders", order("COMMIT-2", "SO-C2")).status == 201
    changed = order("COMMIT-2", "SO-C2", lines=[{"sku": "NUT-M8", "quantity": 1, "unit_price": "0.30"}])
    assert_error(api.post("/orders", changed), 409, "order_conflict")


def test_schema_errors_are_422_field_by_field(api: Http) -> None:
    bad = order("BAD-1", "SO-B1", lines=[{"sku": "BOLT-M8", "quantity": 0, "unit_price": "0.45"}], currency="USD")
    error = assert_error(api.post("/orders/preview", bad), 422, "validation_error")
    assert "lines.0.quantity" in {detail["field"] for detail in error["details"]}


def test_malformed_json_is_400(api: Http) -> None:
    reply = api.request("POST", "/orders", data="{not json", content_type="application/json")
    assert_error(reply, 400, "malformed_body")


def test_cancel_reverses_the_order_and_is_idempotent(api: Http) -> None:
    # GIVEN a committed order worth 1,900 points
    assert api.post("/orders", order("CANCEL-1", "SO-X1")).status == 201
    # WHEN it is cancelled twice
    first = api.post("/orders/SO-X1/cancel")
    again = api.post("/orders/SO-X1/cancel")
    # THEN the points are reversed once, and the second answer is the first
    assert first.status == 200
    assert first.body == {"order_id": "SO-X1", "points_reversed": 1900, "balance": 0}
    assert again.status == 200
    assert again.body == first.body
    kinds = [entry["kind"] for entry in api.get("/customers/CANCEL-1/ledger").body["entries"]]
    assert kinds.count("reverse") >= 1
    assert kinds.count("earn") >= 1


def test_cancelling_an_unknown_order_is_404(api: Http) -> None:
    assert_error(api.post("/orders/SO-NEVER/cancel"), 404, "not_found")


def test_redeeming_points_lowers_the_balance(api: Http) -> None:
    # GIVEN an account with 1,900 points
    assert api.post("/orders", order("REDEEM-1", "SO-R1")).status == 201
    # WHEN the next order redeems 500 of them (5.00)
    redeemed = api.post("/orders", order("REDEEM-1", "SO-R2", redeem_points=500, placed_at="2026-11-21T09:00:00Z"))
    # THEN they are taken off the amount and the balance
    assert redeemed.status == 201
    assert redeemed.body["points_redeemed"] == 500
    assert redeemed.body["balance"] == 1900 - 500 + redeemed.body["points"]
    assert api.get("/customers/REDEEM-1").body["balance"] == redeemed.body["balance"]


def test_redeeming_more_than_the_balance_is_409(api: Http) -> None:
    assert_error(api.post("/orders", order("REDEEM-2", "SO-R3", redeem_points=10)), 409, "insufficient_points")


# ---------------------------------------------------------------------- accounts


def test_profile_upsert_then_summary_and_ledger(api: Http) -> None:
    # GIVEN a profile and two orders
    profile = {"name": "Summary GmbH", "email": "buyer@summary.example", "locale": "de-DE", "email_opt_in": True}
    assert api.put("/customers/SUMMARY-1", profile).status == 200
    assert api.post("/orders", order("SUMMARY-1", "SO-S1", placed_at="2026-11-02T10:00:00Z")).status == 201
    assert api.post("/orders", order("SUMMARY-1", "SO-S2")).status == 201
    # WHEN the account and its ledger are read
    summary = api.get("/customers/SUMMARY-1").body
    page = api.get("/customers/SUMMARY-1/ledger?limit=2")
    # THEN the summary is SPEC section 4's shape, and the ledger pages newest first
    assert summary["customer_id"] == "SUMMARY-1"
    assert summary["tier"] == "Silver"
    assert summary["balance"] == sum(lot["points"] for lot in summary["expiring"])
    assert summary["tier_progress"]["basis"] == "quantity"
    assert summary["tier_progress"]["volume"] == 2000
    assert summary["tier_progress"]["next_tier"] == "Gold"
    assert summary["referral"] is None
    assert page.status == 200
    assert len(page.body["entries"]) == 2
    assert page.body["next_cursor"]
    rest = api.get(f"/customers/SUMMARY-1/ledger?limit=100&cursor={page.body['next_cursor']}").body
    entries = page.body["entries"] + rest["entries"]
    assert [entry["at"] for entry in entries] == sorted((entry["at"] for entry in entries), reverse=True)
    assert sum(entry["points"] for entry in entries) == summary["balance"]
    assert {entry["order_id"] for entry in entries} == {"SO-S1", "SO-S2"}


def test_unknown_account_is_404(api: Http) -> None:
    assert_error(api.get("/customers/NOBODY"), 404, "not_found")
    assert_error(api.get("/customers/NOBODY/ledger"), 404, "not_found")


def test_invalid_profile_is_422(api: Http) -> None:
    assert_error(api.put("/customers/PROFILE-1", {"email": "not an address"}), 422, "validation_error")


def test_nps_answer_is_recorded(api: Http) -> None:
    assert api.put("/customers/NPS-1", {"name": "Survey Ltd"}).status == 200
    assert api.post("/customers/NPS-1/nps", {"score": 9}).status == 201
    assert_error(api.post("/customers/NPS-1/nps", {"score": 11}), 422, "validation_error")


def test_erasure_needs_the_admin_key_and_keeps_the_points(api: Http) -> None:
    assert api.put("/customers/ERASE-1", {"name": "Gone AG", "email": "gone@erase.example"}).status == 200
    assert api.post("/orders", order("ERASE-1", "SO-E1")).status == 201
    erased = api.delete("/customers/ERASE-1", key=ADMIN_KEY)
    assert erased.status == 200
    assert erased.body["erased"] is True
    assert api.get("/customers/ERASE-1").body["balance"] == 1900


# ---------------------------------------------------------------------- referrals


def test_referral_code_gives_the_referee_a_discount_and_the_referrer_a_reward(api: Http) -> None:
    # GIVEN a referrer's code
    issued = api.post("/customers/REFERRER-1/referral-code")
    again = api.post("/customers/REFERRER-1/referral-code")
    assert issued.status == 201
    assert again.status == 200
    assert again.body == issued.body == {"code": issued.body["code"], "referrals": 0}
    code = issued.body["code"]
    # WHEN a new account's first order carries it
    first_order = order("REFEREE-1", "SO-F1", codes=[code])
    preview = api.post("/orders/preview", first_order).body
    committed = api.post("/orders", first_order)
    # THEN the referee gets the referee discount, and the referrer its reward and one more referral
    assert preview["discounts"] == [{"source": "referral", "code": code, "percent": "10", "amount": "45.00"}]
    assert committed.status == 201
    assert committed.body["discount_total"] == "45.00"
    referrer = api.get("/customers/REFERRER-1").body
    assert referrer["referral"] == {"code": code, "referrals": 1}
    assert referrer["balance"] == PROGRAM["referral"]["referrer_reward"]["points"]
    assert [discount["percent"] for discount in referrer["discounts"]] == ["5"]


def test_own_referral_code_is_rejected(api: Http) -> None:
    code = api.post("/customers/SELF-1/referral-code").body["code"]
    preview = api.post("/orders/preview", order("SELF-1", "SO-SELF", codes=[code])).body
    assert preview["rejected_codes"] == [{"code": code, "reason": "self_referral"}]
    assert_error(api.post("/orders", order("SELF-1", "SO-SELF", codes=[code])), 409, "self_referral")


def test_next_purchase_code_is_issued_and_used_once(api: Http) -> None:
    # GIVEN an order over the next-purchase minimum (500.00)
    big = order("CODES-1", "SO-N1", lines=[{"sku": "VALVE-20", "quantity": 20, "unit_price": "40.00"}])
    issued = api.post("/orders", big).body["issued_discount"]
    assert issued["percent"] == "5"
    # WHEN the code is used on the next order, then once more
    used = api.post("/orders", order("CODES-1", "SO-N2", codes=[issued["code"]], placed_at="2026-11-22T10:00:00Z"))
    reused = api.post("/orders", order("CODES-1", "SO-N3", codes=[issued["code"]], placed_at="2026-11-23T10:00:00Z"))
    # THEN it discounts the first, and is refused on the second
    assert used.status == 201
    assert {"source": "code", "code": issued["code"], "percent": "5", "amount": "22.50"} in used.body["discounts"]
    assert_error(reused, 409, "used")


# ---------------------------------------------------------------------- public routes


def test_unsubscribe_needs_no_key(api: Http) -> None:
    reply = api.get("/unsubscribe?token=not-a-token", anonymous=True)
    assert reply.status == 400
    assert "text/html" in reply.headers["Content-Type"]


# ---------------------------------------------------------------------- buyers


def test_a_company_with_two_buyers_only_one_of_whom_may_redeem(api: Http) -> None:
    # GIVEN Jane's first order (450.00, 1,900 points, Silver after it) and a profile naming her the redeemer
    jane, joe = "jane@acme.example", "joe@acme.example"
    assert api.post("/orders", order("BUYERS-1", "SO-B1", buyer_id=jane)).status == 201
    assert api.put("/customers/BUYERS-1", {"redeemers": [jane]}).status == 200

    # WHEN Joe tries to spend points, then orders without; Jane may spend them
    refused = api.post("/orders/preview", order("BUYERS-1", "SO-B2", buyer_id=joe, redeem_points=100))
    bought = api.post("/orders", order("BUYERS-1", "SO-B2", buyer_id=joe, placed_at="2026-11-21T10:15:00Z"))
    allowed = api.post("/orders/preview", order("BUYERS-1", "SO-B3", buyer_id=jane, redeem_points=100))

    # THEN Joe is refused, his Silver order (427.50 after 5%, 2,067 points) counts for him
    assert_error(refused, 409, "buyer_may_not_redeem")
    assert bought.status == 201
    assert allowed.status == 200
    assert allowed.body["points_redeemed"] == 100
    reply = api.get("/customers/BUYERS-1/buyers")
    assert reply.status == 200
    assert reply.body == {
        "buyers": [
            {
                "buyer_id": jane,
                "orders": 1,
                "revenue": "450.00",
                "points_earned": 1900,
                "points_redeemed": 0,
                "last_order_at": "2026-11-20T10:15:00Z",
            },
            {
                "buyer_id": joe,
                "orders": 1,
                "revenue": "427.50",
                "points_earned": 2067,
                "points_redeemed": 0,
                "last_order_at": "2026-11-21T10:15:00Z",
            },
        ]
    }
