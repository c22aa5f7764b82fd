"""The orders function against DynamoDB (moto): exactly-once commits, previews, cancels, every 4xx."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from loyalty.account import Account
from loyalty.codes import ReferralCode
from loyalty.tiers import VolumeBucket
from loyalty.wallet import Lot, Wallet
from loyalty_aws import clients
from loyalty_aws.accounts import item_from_record
from loyalty_aws.codes import referral_code_item
from loyalty_aws.orders import DynamoOrderStore
from loyalty_aws.settings import settings
from loyalty_service.ports import AccountRecord
from tests.integration.reconcile import reconcile
from tests.support.api import activate
from tests.support.events import api_event
from tests.support.lambdas import ApiResponse, call, load_function
from tests.unit.builders import at

ORDER: dict[str, Any] = {
    "order_id": "SO-1001",
    "customer_id": "ACME",
    "placed_at": "2026-11-20T10:15:00Z",
    "currency": "EUR",
    "lines": [{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}],
}


@pytest.fixture
def orders(dynamodb: Any, program_document: dict[str, Any]) -> ModuleType:
    activate(program_document)
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
            "member": True,
            "issued_discount": None,
            "partner": None,
            "balance": 4192,
            "program_version": 1,
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
        instances = [load_function("functions/orders") for _ in range(8)]  # one per thread, like 8 Lambdas
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda instance: commit(instance, order()), instances))

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
    def test_malformed_json_is_a_400(self, orders: ModuleType) -> None:
        response = call(orders, api_event("orders-commit", raw_body='{"order_id": '))

        assert response.status == 400
        assert response.body["error"]["code"] == "malformed_body"

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


def code_issuing_order(order_id: str, placed_at: str = "2026-11-01T09:00:00Z") -> dict[str, Any]:
    """An order big enough (eligible >= 500) to be issued a next-purchase code."""
    return order(order_id=order_id, placed_at=placed_at, lines=[{"sku": "PALLET", "quantity": 1, "unit_price": "600"}])


class TestRaces:
    def test_two_orders_racing_for_one_code_one_wins_the_other_gets_409(
        self, orders: ModuleType, dynamodb: Any
    ) -> None:
        # GIVEN an account holding one single-use code
        code = commit(orders, code_issuing_order("SO-0001")).body["issued_discount"]["code"]
        racers = [order(order_id=f"SO-20{index}", codes=[code]) for index in range(2)]
        # WHEN two orders carry it at the same moment
        with ThreadPoolExecutor(max_workers=2) as pool:
            responses = list(pool.map(lambda body: commit(load_function("functions/orders"), body), racers))
        # THEN exactly one uses it; the other is refused because it is used, and changes nothing
        assert sorted(response.status for response in responses) == [201, 409]
        loser = next(response for response in responses if response.status == 409)
        assert loser.body["error"]["code"] == "used"
        reconcile(dynamodb)

    def test_concurrent_redemptions_never_take_the_balance_below_zero(self, orders: ModuleType, dynamodb: Any) -> None:
        # GIVEN 1,900 points, and Silver's 5% off from now on
        earned = commit(orders, order(order_id="SO-0001", placed_at="2026-11-01T09:00:00Z")).body["points"]
        # WHEN eight orders each try to pay all of their 9.50 with 950 points at once (earning nothing)
        spenders = [
            order(order_id=f"SO-30{index}", redeem_points=950, lines=[{"sku": "A", "quantity": 1, "unit_price": "10"}])
            for index in range(8)
        ]
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda body: commit(load_function("functions/orders"), body), spenders))
        # THEN as many succeed as the points allow, the rest are refused, and nothing goes negative
        created = [response for response in responses if response.status == 201]
        assert len(created) == earned // 950
        assert {response.body["error"]["code"] for response in responses if response.status != 201} == {
            "insufficient_points"
        }
        assert reconcile(dynamodb)["ACME"] == earned - 950 * len(created)

    def test_a_transaction_conflict_on_the_first_attempt_is_retried_and_awards_once(
        self, orders: ModuleType, dynamodb: Any
    ) -> None:
        # GIVEN the first transaction of the commit collides with another writer
        injected = inject_transaction_conflicts(times=1)
        # WHEN the order is committed
        response = commit(orders, order())
        # THEN it is committed once, after one retry
        assert response.status == 201
        assert injected.count == 2
        assert reconcile(dynamodb) == {"ACME": response.body["points"]}

    def test_an_account_that_keeps_changing_gets_a_409_it_can_retry(self, orders: ModuleType, dynamodb: Any) -> None:
        inject_transaction_conflicts(times=100)

        response = commit(orders, order())

        assert response.status == 409
        assert response.body["error"]["code"] == "contended"
        assert reconcile(dynamodb) == {}


class TestReferral:
    def test_a_referral_code_on_a_first_order_rewards_the_referrer(self, orders: ModuleType, dynamodb: Any) -> None:
        # GIVEN a referrer with a referral code
        store = DynamoOrderStore()
        dynamodb.put_item(
            TableName=settings().codes_table,
            Item=referral_code_item(
                ReferralCode(code="RTEST2345", customer_id="GLOBEX"),
                at("2026-11-01T00:00:00Z"),
                settings().report_shards,
            ),
        )
        # WHEN a new account orders with it
        response = commit(orders, order(customer_id="NEWCO", codes=["RTEST2345"]))
        # THEN the referee gets the referee discount and the referrer a reward code
        assert response.status == 201
        assert response.body["discounts"] == [
            {"source": "referral", "percent": "10", "amount": "45.00", "code": "RTEST2345"}
        ]
        referral = store.load_code("RTEST2345")
        assert isinstance(referral, ReferralCode)
        assert referral.referrals == 1
        rewards = dynamodb.query(
            TableName=settings().codes_table,
            IndexName="OwnerIndex",
            KeyConditionExpression="owner_id = :owner",
            ExpressionAttributeValues={":owner": {"S": "GLOBEX"}},
        )["Items"]
        assert sorted(item["kind"]["S"] for item in rewards) == ["referral", "referral_reward"]

    def test_the_same_referral_code_on_a_second_order_is_refused(self, orders: ModuleType, dynamodb: Any) -> None:
        dynamodb.put_item(
            TableName=settings().codes_table,
            Item=referral_code_item(
                ReferralCode(code="RTEST2345", customer_id="GLOBEX"),
                at("2026-11-01T00:00:00Z"),
                settings().report_shards,
            ),
        )
        commit(orders, order(customer_id="NEWCO", codes=["RTEST2345"]))

        again = commit(orders, order(order_id="SO-1002", customer_id="NEWCO", codes=["RTEST2345"]))

        assert again.status == 409
        assert again.body["error"]["code"] == "not_first_order"


@dataclass
class Injected:
    count: int = 0


def inject_transaction_conflicts(times: int) -> Injected:
    """Make the next ``times`` transactions fail as if another writer had changed the account."""
    injected = Injected()

    def collide(**_: Any) -> Any:
        injected.count += 1
        if injected.count > times:
            return None
        error = {
            "Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
            "CancellationReasons": [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}],
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return AWSResponse("https://dynamodb.local", 400, {}, None), error

    clients.dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", collide)
    return injected


class TestFutureSkew:
    @pytest.fixture
    def bounded(self, orders: ModuleType) -> Iterator[ModuleType]:
        """The template's MaxFutureSkewMinutes set to 5 (it is off by default)."""
        os.environ["MAX_FUTURE_SKEW_MINUTES"] = "5"
        settings.cache_clear()
        yield load_function("functions/orders")
        os.environ["MAX_FUTURE_SKEW_MINUTES"] = "0"
        settings.cache_clear()

    def test_by_default_placed_at_is_trusted_however_far_ahead(self, orders: ModuleType) -> None:
        assert commit(orders, order(placed_at="2099-01-01T00:00:00Z")).status == 201

    def test_a_bounded_stack_refuses_orders_placed_too_far_ahead(self, bounded: ModuleType) -> None:
        ahead = datetime.now(UTC) + timedelta(hours=1)
        now = datetime.now(UTC)

        refused = commit(bounded, order(placed_at=ahead.isoformat()))
        accepted = commit(bounded, order(order_id="SO-1002", placed_at=now.isoformat()))

        assert refused.status == 422
        assert refused.body["error"]["details"][0]["field"] == "placed_at"
        assert accepted.status == 201
