"""The orders function against DynamoDB (moto): exactly-once commits, previews, cancels, every 4xx."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from loyalty.account import Account
from loyalty.program import Program
from loyalty.tiers import VolumeBucket
from loyalty.wallet import Lot, Wallet
from loyalty_aws.accounts import item_from_record
from loyalty_aws.programs import DynamoProgramStore
from loyalty_aws.settings import settings
from loyalty_service.ports import AccountRecord
from tests.integration.reconcile import reconcile
from tests.support.events import api_event
from tests.support.lambdas import ApiResponse, call, load_function

ORDER: dict[str, Any] = {
    "order_id": "SO-1001",
    "customer_id": "ACME",
    "placed_at": "2026-11-20T10:15:00Z",
    "currency": "EUR",
    "lines": [{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}],
}


@pytest.fixture
def orders(dynamodb: Any, program_document: dict[str, Any]) -> ModuleType:
    DynamoProgramStore().activate(Program.parse(program_document), program_document, datetime(2026, 1, 1, tzinfo=UTC))
    return load_function("functions/orders")


def order(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ORDER), **changes}


def commit(orders: ModuleType, body: dict[str, Any]) -> ApiResponse:
    return call(orders, api_event("orders-commit", body=body))


def preview(orders: ModuleType, body: dict[str, Any]) -> ApiResponse:
    return call(orders, api_event("orders-preview", body=body))


def cancel(orders: ModuleType, order_id: str) -> ApiResponse:
    return call(orders, api_event("orders-cancel", path_parameters={"order_id": order_id}))


def seed_silver_account(client: Any) -> None:
    """The SPEC's example account: Silver, 1,010 items in the window, 2,125 points in two lots."""
    lots = (
        Lot(lot_id="SO-0901", order_id="SO-0901", earned_at=datetime(2026, 11, 2, 10, tzinfo=UTC),
            expires_at=datetime(2027, 11, 2, 10, tzinfo=UTC), points=1000, remaining=1000),
        Lot(lot_id="SO-0950", order_id="SO-0950", earned_at=datetime(2026, 11, 10, 10, tzinfo=UTC),
            expires_at=datetime(2027, 11, 10, 10, tzinfo=UTC), points=1125, remaining=1125),
    )  # fmt: skip
    account = Account(
        customer_id="ACME",
        tier="Silver",
        buckets=(VolumeBucket(day=date(2026, 11, 2), items=1010, spend=Decimal("900")),),
        lifetime_spend=Decimal("900"),
        wallet=Wallet(lots=lots),
        first_order_at=datetime(2026, 11, 2, 10, tzinfo=UTC),
    )
    config = settings()
    client.put_item(
        TableName=config.accounts_table,
        Item=item_from_record(AccountRecord(account=account), config.due_shards, version=1),
    )
    for lot in lots:
        client.put_item(
            TableName=config.ledger_table,
            Item={
                "customer_id": {"S": "ACME"},
                "entry_key": {"S": f"{lot.earned_at.isoformat()}#{lot.order_id}#earn#base#{lot.lot_id}"},
                "at": {"S": lot.earned_at.isoformat().replace("+00:00", "Z")},
                "kind": {"S": "earn"},
                "points": {"N": str(lot.points)},
                "rule": {"S": "base"},
                "order_id": {"S": lot.order_id},
            },
        )


class TestCommit:
    def test_the_spec_example_is_committed_with_201_and_its_exact_body(self, orders: ModuleType, dynamodb: Any) -> None:
        seed_silver_account(dynamodb)

        response = commit(orders, order())

        assert response.status == 201
        assert response.body == {
            "order_id": "SO-1001",
            "customer_id": "ACME",
            "subtotal": "450.00",
            "discounts": [{"source": "tier", "percent": "5", "amount": "22.50"}],
            "discount_total": "22.50",
            "points_redeemed": 0,
            "eligible_amount": "427.50",
            "points": 2067,
            "breakdown": [
                {"rule": "base", "points": 427},
                {"rule": "fasteners", "points": 427},
                {"rule": "tier", "points": 213},
                {"rule": "bulk", "points": 1000},
            ],
            "effects": [],
            "rejected_codes": [],
            "tier": {"before": "Silver", "after": "Silver"},
            "issued_discount": None,
            "balance": 4192,
        }
        assert reconcile(dynamodb) == {"ACME": 4192}

    def test_the_same_order_again_answers_200_with_the_same_body_and_awards_once(
        self, orders: ModuleType, dynamodb: Any
    ) -> None:
        first = commit(orders, order())

        replays = [commit(orders, order()) for _ in range(10)]

        assert first.status == 201
        assert {response.status for response in replays} == {200}
        assert all(response.body == first.body for response in replays)
        assert reconcile(dynamodb) == {"ACME": first.body["points"]}

    def test_a_replay_formatted_differently_is_the_same_order(self, orders: ModuleType) -> None:
        commit(orders, order())

        again = commit(
            orders, order(placed_at="2026-11-20T11:15:00+01:00", lines=[{**ORDER["lines"][0], "unit_price": 0.450}])
        )

        assert again.status == 200

    def test_the_same_order_id_with_another_payload_is_a_409(self, orders: ModuleType) -> None:
        commit(orders, order())

        response = commit(orders, order(lines=[{**ORDER["lines"][0], "quantity": 999}]))

        assert response.status == 409
        assert response.body["error"]["code"] == "order_conflict"

    def test_an_order_for_an_unknown_customer_creates_the_account(self, orders: ModuleType, dynamodb: Any) -> None:
        response = commit(orders, order(customer_id="NEWCO"))

        assert response.status == 201
        assert reconcile(dynamodb) == {"NEWCO": response.body["points"]}

    def test_the_same_order_from_8_threads_at_once_awards_once(self, orders: ModuleType, dynamodb: Any) -> None:
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda _: commit(orders, order()), range(8)))

        assert sorted(response.status for response in responses) == [200] * 7 + [201]
        assert len({str(response.body) for response in responses}) == 1
        assert reconcile(dynamodb) == {"ACME": responses[0].body["points"]}


class TestPreview:
    def test_a_preview_writes_nothing(self, orders: ModuleType, dynamodb: Any) -> None:
        response = preview(orders, order())

        assert response.status == 200
        assert response.body["points"] == 1900  # base 450 + fasteners 450 + bulk 1000
        assert "balance" not in response.body or response.body["balance"] is None
        assert reconcile(dynamodb) == {}

    def test_a_preview_lists_an_unknown_code_as_rejected(self, orders: ModuleType) -> None:
        response = preview(orders, order(codes=["NP-NOPE"]))

        assert response.body["rejected_codes"] == [{"code": "NP-NOPE", "reason": "unknown"}]


class TestCancel:
    def test_cancelling_reverses_the_points_and_answers_the_same_twice(self, orders: ModuleType, dynamodb: Any) -> None:
        committed = commit(orders, order())

        first = cancel(orders, "SO-1001")
        second = cancel(orders, "SO-1001")

        assert first.status == second.status == 200
        assert (
            first.body
            == second.body
            == {"order_id": "SO-1001", "points_reversed": committed.body["points"], "balance": 0}
        )
        assert reconcile(dynamodb) == {"ACME": 0}

    def test_cancelling_an_unknown_order_is_a_404(self, orders: ModuleType) -> None:
        response = cancel(orders, "SO-NOPE")

        assert response.status == 404
        assert response.body["error"]["code"] == "not_found"


class TestRefusals:
    def test_malformed_json_is_a_422(self, orders: ModuleType) -> None:
        response = call(orders, api_event("orders-commit", raw_body='{"order_id": '))

        assert response.status == 422
        assert response.body["error"]["code"] == "validation_error"

    def test_a_body_without_content_type_is_read_as_json(self, orders: ModuleType) -> None:
        response = call(orders, api_event("orders-preview", body=order(), drop_headers=("content-type",)))

        assert response.status == 200

    def test_a_missing_body_is_a_422(self, orders: ModuleType) -> None:
        response = call(orders, api_event("orders-commit", body=None))

        assert response.status == 422

    def test_schema_errors_name_their_fields(self, orders: ModuleType) -> None:
        body = order(lines=[{**ORDER["lines"][0], "quantity": 0}], redeem_points=-1)
        del body["currency"]

        response = commit(orders, body)

        assert response.status == 422
        assert {detail["field"] for detail in response.body["error"]["details"]} == {
            "lines.0.quantity",
            "redeem_points",
            "currency",
        }

    def test_another_currency_is_a_422_on_the_currency_field(self, orders: ModuleType) -> None:
        response = commit(orders, order(currency="USD"))

        assert response.status == 422
        assert response.body["error"]["details"][0]["field"] == "currency"

    def test_redeeming_more_than_the_balance_is_a_409_in_preview_and_commit(self, orders: ModuleType) -> None:
        for send in (preview, commit):
            response = send(orders, order(redeem_points=10))
            assert response.status == 409
            assert response.body["error"]["code"] == "insufficient_points"

    def test_a_commit_with_an_unusable_code_is_a_409_that_changes_nothing(
        self, orders: ModuleType, dynamodb: Any
    ) -> None:
        response = commit(orders, order(codes=["NP-NOPE"]))

        assert response.status == 409
        assert response.body["error"]["code"] == "unknown"
        assert reconcile(dynamodb) == {}

    def test_without_an_active_program_orders_get_a_503(self, dynamodb: Any) -> None:
        response = commit(load_function("functions/orders"), order())

        assert response.status == 503
        assert response.body["error"]["code"] == "no_active_program"
