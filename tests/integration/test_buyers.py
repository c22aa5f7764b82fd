"""Buyers of a company account through the handlers, under moto: totals, redeemers, erasure."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration

JANE = "jane@acme.example"
JOE = "joe@acme.example"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("RewardsFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate({**spec_document(), "rewards": [{"id": "warranty", "name": "Warranty", "points": 100, "stock": None}]})
    return Api()


@pytest.fixture
def acme(api: Api) -> Api:
    """ACME: Jane's 400.00 (400 points, 2 November), Joe's 400.00 (5 November), one without a buyer (6 November)."""
    assert api.commit(order(buyer_id=JANE)).status == 201
    assert api.commit(order(order_id="SO-2", buyer_id=JOE, placed_at="2026-11-05T10:00:00Z")).status == 201
    assert api.commit(order(order_id="SO-3", placed_at="2026-11-06T10:00:00Z")).status == 201
    return api


def line(buyer: str | None, orders: int, revenue: str, earned: int, redeemed: int, last: str) -> dict[str, Any]:
    return {
        "buyer_id": buyer,
        "orders": orders,
        "revenue": revenue,
        "points_earned": earned,
        "points_redeemed": redeemed,
        "last_order_at": last,
    }


class TestTotals:
    def test_each_buyer_has_its_orders_and_the_orders_without_a_buyer_come_last(self, acme: Api) -> None:
        response = acme.buyers()

        assert response.status == 200
        assert response.body == {
            "buyers": [
                line(JANE, 1, "400.00", 400, 0, "2026-11-02T10:00:00Z"),
                line(JOE, 1, "400.00", 400, 0, "2026-11-05T10:00:00Z"),
                line(None, 1, "400.00", 400, 0, "2026-11-06T10:00:00Z"),
            ]
        }

    def test_a_replayed_commit_counts_once(self, acme: Api) -> None:
        assert acme.commit(order(buyer_id=JANE)).status == 200

        assert acme.buyers().body["buyers"][0] == line(JANE, 1, "400.00", 400, 0, "2026-11-02T10:00:00Z")

    def test_a_redemption_counts_for_the_buyer_who_spent(self, acme: Api) -> None:
        body = order(order_id="SO-4", buyer_id=JANE, placed_at="2026-11-07T10:00:00Z", redeem_points=300)
        decision = acme.commit(body).body

        # THEN 400.00 + 400.00 less the 3.00 the points paid for
        assert decision["eligible_amount"] == "397.00"
        jane = acme.buyers().body["buyers"][0]
        assert jane == line(JANE, 2, "797.00", 400 + decision["points"], 300, "2026-11-07T10:00:00Z")

    def test_a_cancel_takes_the_order_out_and_its_buyer_leaves_the_list(self, acme: Api) -> None:
        assert acme.cancel("SO-2").status == 200

        assert [buyer["buyer_id"] for buyer in acme.buyers().body["buyers"]] == [JANE, None]

    def test_a_partial_return_deducts_what_it_took_off(self, acme: Api) -> None:
        # WHEN Jane returns 5 of her 10 valves: half of 400.00, floor(400 x 1/2) points
        response = acme.return_lines("SO-1", return_id="R1", lines=[{"sku": "VALVE-20", "quantity": 5}])

        assert response.status == 201
        assert acme.buyers().body["buyers"][0] == line(JANE, 1, "200.00", 200, 0, "2026-11-02T10:00:00Z")

    def test_an_unknown_account_is_a_404(self, api: Api) -> None:
        assert api.buyers("NOBODY").status == 404


class TestRedeemers:
    @pytest.fixture
    def listed(self, acme: Api) -> Api:
        assert acme.put_profile(redeemers=[JANE]).status == 200
        return acme

    def test_a_buyer_not_listed_may_not_redeem_on_preview_or_commit(self, listed: Api) -> None:
        body = order(order_id="SO-9", buyer_id=JOE, placed_at="2026-11-08T10:00:00Z", redeem_points=100)

        for response in (listed.preview(body), listed.commit(body)):
            assert response.status == 409
            assert response.body["error"]["code"] == "buyer_may_not_redeem"
        assert listed.summary().body["balance"] == 1200

    def test_an_order_without_a_buyer_may_not_redeem_but_may_still_buy(self, listed: Api) -> None:
        body = order(order_id="SO-9", placed_at="2026-11-08T10:00:00Z")

        assert listed.commit({**body, "redeem_points": 100}).status == 409
        assert listed.commit(body).status == 201

    def test_a_listed_buyer_redeems(self, listed: Api) -> None:
        body = order(order_id="SO-9", buyer_id=JANE, placed_at="2026-11-08T10:00:00Z", redeem_points=100)

        assert listed.preview(body).status == 200
        assert listed.commit(body).status == 201

    def test_a_claim_by_a_buyer_not_listed_is_refused(self, listed: Api) -> None:
        refused = listed.claim(claim_id="CL-1", reward_id="warranty", buyer_id=JOE)
        anonymous = listed.claim(claim_id="CL-2", reward_id="warranty")
        allowed = listed.claim(claim_id="CL-3", reward_id="warranty", buyer_id=JANE)

        assert (refused.status, refused.body["error"]["code"]) == (409, "buyer_may_not_redeem")
        assert anonymous.status == 409
        assert allowed.status == 201

    def test_an_empty_list_lets_nobody_redeem(self, acme: Api) -> None:
        acme.put_profile(redeemers=[])

        body = order(order_id="SO-9", buyer_id=JANE, placed_at="2026-11-08T10:00:00Z", redeem_points=100)
        assert acme.commit(body).status == 409

    def test_more_than_100_redeemers_is_a_422_on_the_field(self, acme: Api) -> None:
        response = acme.put_profile(redeemers=[f"buyer-{number}" for number in range(101)])

        assert response.status == 422
        assert response.body["error"]["details"][0]["field"].startswith("redeemers")


class TestErasure:
    def test_an_erasure_keeps_the_totals_under_no_buyer(self, acme: Api) -> None:
        acme.put_profile(redeemers=[JANE])

        assert acme.erase().status == 200

        assert acme.buyers().body == {"buyers": [line(None, 3, "1200.00", 1200, 0, "2026-11-06T10:00:00Z")]}
        body = order(order_id="SO-9", buyer_id=JOE, placed_at="2026-11-08T10:00:00Z", redeem_points=100)
        assert acme.commit(body).status == 201  # the redeemers went with the profile

    def test_a_cancel_after_the_erasure_comes_off_the_merged_totals(self, acme: Api) -> None:
        acme.erase()

        acme.cancel("SO-1")

        assert acme.buyers().body == {"buyers": [line(None, 2, "800.00", 800, 0, "2026-11-06T10:00:00Z")]}
