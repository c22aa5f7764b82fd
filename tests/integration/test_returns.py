"""Returns of some lines of an order against DynamoDB (moto), through the orders function."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from tests.integration.reconcile import reconcile
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration

LINES = [
    {"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"},
    {"sku": "DRILL", "quantity": 2, "unit_price": "100", "category": "tools"},
]
"""650.00: base 650, fasteners 450, bulk 1000 (2,100 points); a next-purchase code is issued (>= 500)."""


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("OrdersFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(spec_document())
    return Api()


@pytest.fixture
def sold(api: Api) -> Api:
    """ACME committed SO-1 (650.00, 2,100 points, a next-purchase code)."""
    assert api.commit(order(lines=LINES)).status == 201
    return api


def ledger_items(client: Any, customer_id: str = "ACME") -> list[dict[str, Any]]:
    response = client.query(
        TableName=settings().ledger_table,
        KeyConditionExpression="customer_id = :c",
        ExpressionAttributeValues={":c": {"S": customer_id}},
    )
    return [from_item(item) for item in response["Items"]]


def order_item(client: Any, order_id: str = "SO-1") -> dict[str, Any]:
    return from_item(client.get_item(TableName=settings().orders_table, Key={"order_id": {"S": order_id}})["Item"])


class TestReturns:
    def test_a_returned_drill_reverses_its_share_of_every_line_with_the_return_id_on_the_entries(
        self, sold: Api, dynamodb: Any
    ) -> None:
        # WHEN one drill of 650.00 comes back (f = 2/13)
        response = sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 1}])

        # THEN base 650 -> 550, fasteners 450 -> 380, bulk 1000 -> 846: 324 points reversed
        assert response.status == 201
        assert response.body == {
            "order_id": "SO-1",
            "return_id": "RET-1",
            "points_reversed": 324,
            "points_restored": 0,
            "balance": 2100 - 324,
        }
        entries = [entry for entry in ledger_items(dynamodb) if entry.get("ref") == "RET-1"]
        assert sorted((entry["rule"], entry["points"]) for entry in entries) == [
            ("base", -100),
            ("bulk", -154),
            ("fasteners", -70),
        ]
        assert reconcile(dynamodb) == {"ACME": 1776}
        assert sold.summary().body["tier_progress"]["volume"] == 1001

    def test_the_same_return_again_answers_200_with_the_same_body_and_changes_nothing(
        self, sold: Api, dynamodb: Any
    ) -> None:
        first = sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 1}])

        again = sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 1}])

        assert (first.status, again.status) == (201, 200)
        assert again.body == first.body
        assert reconcile(dynamodb) == {"ACME": 1776}

    def test_the_same_return_id_with_other_lines_is_a_409_return_conflict(self, sold: Api) -> None:
        sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 1}])

        response = sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 2}])

        assert response.status == 409
        assert response.body["error"]["code"] == "return_conflict"

    def test_returning_more_than_is_left_is_a_409_return_exceeds_order(self, sold: Api, dynamodb: Any) -> None:
        sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 1}])

        response = sold.return_lines("SO-1", return_id="RET-2", lines=[{"sku": "DRILL", "quantity": 2}])

        assert response.status == 409
        assert response.body["error"]["code"] == "return_exceeds_order"
        assert reconcile(dynamodb) == {"ACME": 1776}

    def test_a_return_of_a_cancelled_order_is_a_409_return_exceeds_order(self, sold: Api) -> None:
        assert sold.cancel("SO-1").status == 200

        response = sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 1}])

        assert response.status == 409
        assert response.body["error"]["code"] == "return_exceeds_order"

    def test_a_return_of_an_unknown_order_is_a_404(self, api: Api) -> None:
        response = api.return_lines("SO-NOPE", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 1}])

        assert response.status == 404
        assert response.body["error"]["code"] == "not_found"

    def test_a_return_without_lines_is_a_422_naming_the_field(self, sold: Api) -> None:
        response = sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 0}])

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["lines.0.quantity"]

    def test_a_full_return_in_two_steps_cancels_the_order_and_revokes_its_code(self, sold: Api, dynamodb: Any) -> None:
        # GIVEN ACME holds the next-purchase code SO-1 issued
        assert len(sold.summary().body["discounts"]) == 1

        # WHEN everything comes back in two returns
        sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 2}])
        last = sold.return_lines("SO-1", return_id="RET-2", lines=[{"sku": "BOLT-M8", "quantity": 1000}])

        # THEN every point is reversed, the order is cancelled and its code revoked; a cancel answers 200
        assert last.status == 201
        assert last.body["balance"] == 0
        assert order_item(dynamodb)["status"] == "cancelled"
        assert sold.summary().body["discounts"] == []
        assert sold.summary().body["tier_progress"]["volume"] == 0
        cancelled = sold.cancel("SO-1")
        assert cancelled.status == 200
        assert cancelled.body == {"order_id": "SO-1", "points_reversed": 2100, "balance": 0}
        assert reconcile(dynamodb) == {"ACME": 0}

    def test_a_cancel_after_a_return_reverses_what_the_return_left(self, sold: Api, dynamodb: Any) -> None:
        sold.return_lines("SO-1", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 1}])

        response = sold.cancel("SO-1")

        assert response.status == 200
        assert response.body == {"order_id": "SO-1", "points_reversed": 2100 - 324, "balance": 0}
        assert sum(entry["points"] for entry in ledger_items(dynamodb)) == 0
        assert reconcile(dynamodb) == {"ACME": 0}

    def test_a_return_restores_its_share_of_the_redeemed_points_to_their_lot(self, api: Api, dynamodb: Any) -> None:
        # GIVEN SO-1 earned 400 points, then SO-2 (650.00) redeemed 260 of them
        assert api.commit(order()).status == 201
        assert api.commit(order(order_id="SO-2", lines=LINES, redeem_points=260)).status == 201
        balance = api.summary().body["balance"]

        # WHEN one drill of SO-2 comes back
        response = api.return_lines("SO-2", return_id="RET-1", lines=[{"sku": "DRILL", "quantity": 1}])

        # THEN 260 - floor(260 x 11/13) = 40 points go back to SO-1's lot
        assert response.body["points_restored"] == 40
        assert response.body["balance"] == balance - response.body["points_reversed"] + 40
        restored = [entry for entry in ledger_items(dynamodb) if entry.get("ref") == "RET-1" and entry["points"] > 0]
        assert [(entry["rule"], entry["points"]) for entry in restored] == [("redeem", 40)]
        reconcile(dynamodb)


class TestCancelBody:
    def test_a_cancel_with_lines_in_its_body_is_a_422_pointing_to_returns(self, sold: Api, dynamodb: Any) -> None:
        response = sold.cancel_with_body("SO-1", {"lines": [{"sku": "DRILL", "quantity": 1}]})

        assert response.status == 422
        assert "return" in response.body["error"]["message"]
        assert order_item(dynamodb)["status"] == "committed"

    @pytest.mark.parametrize("body", [None, {}])
    def test_a_cancel_without_a_body_or_with_an_empty_object_still_cancels(self, sold: Api, body: Any) -> None:
        response = sold.cancel_with_body("SO-1", body)

        assert response.status == 200
