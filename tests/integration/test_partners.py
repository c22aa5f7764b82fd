"""Partners against DynamoDB (moto): the credit and its reversal in the order's one transaction, the 422s,
the partner read in the order's own batch, and the largest commit's item count."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from loyalty.account import Account
from loyalty.codes import DiscountCode, ReferralCode
from loyalty.tiers import VolumeBucket
from loyalty_aws import clients
from loyalty_aws.accounts import item_from_record
from loyalty_aws.codes import discount_code_item, referral_code_item
from loyalty_aws.settings import settings
from loyalty_aws.transactions import MAX_ITEMS
from loyalty_service.ports import AccountRecord
from tests.integration.reconcile import reconcile
from tests.support.api import activate
from tests.support.events import api_event
from tests.support.lambdas import ApiResponse, call, load_function
from tests.unit.builders import at, spec_document

ORDER: dict[str, Any] = {
    "order_id": "SO-1001",
    "customer_id": "ACME",
    "partner_id": "DIST",
    "placed_at": "2026-11-20T10:15:00Z",
    "currency": "EUR",
    "lines": [{"sku": "BOLT-M8", "quantity": 10, "unit_price": "10.05"}],
}
"""100.50 of bolts: ACME earns 100 points, DIST floor(100.50 x 0.5) = 50."""


def partner_document(**partners: Any) -> dict[str, Any]:
    return {**spec_document(), "partners": {"points_per_unit": "0.5", "counts_toward_tier": True, **partners}}


@pytest.fixture
def program_document() -> dict[str, Any]:
    return partner_document()


@pytest.fixture
def orders(dynamodb: Any, program_document: dict[str, Any]) -> ModuleType:
    activate(program_document)
    function = load_function("functions/orders")
    # the program document is read once per version and process: read it before counting calls
    call(function, api_event("orders-preview", body={**ORDER, "partner_id": None}))
    return function


@pytest.fixture
def customers(dynamodb: Any, orders: ModuleType) -> ModuleType:
    return load_function("functions/customers")


def put_profile(customers: ModuleType, customer_id: str, profile: dict[str, Any]) -> ApiResponse:
    return call(customers, api_event("customers-put", body=profile, path_parameters={"customer_id": customer_id}))


def summary(customers: ModuleType, customer_id: str) -> ApiResponse:
    return call(customers, api_event("customers-get", path_parameters={"customer_id": customer_id}))


def ledger(customers: ModuleType, customer_id: str) -> list[dict[str, Any]]:
    return call(customers, api_event("customers-ledger", path_parameters={"customer_id": customer_id})).body["entries"]


def order(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(ORDER), **changes}


def commit(orders: ModuleType, body: dict[str, Any]) -> ApiResponse:
    return call(orders, api_event("orders-commit", body=body))


def cancel(orders: ModuleType, order_id: str) -> ApiResponse:
    return call(orders, api_event("orders-cancel", path_parameters={"order_id": order_id}))


@contextmanager
def recorded_calls() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every DynamoDB call the functions make meanwhile: its operation and its request."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params))

    client = clients.dynamodb()
    client.meta.events.register("provide-client-params.dynamodb", record)
    try:
        yield calls
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb", record)


@pytest.fixture
def distributor(customers: ModuleType) -> None:
    assert put_profile(customers, "DIST", {"name": "Nord Distribution", "partner": True}).status == 200


class TestCredit:
    def test_the_commit_credits_the_partner_in_the_orders_one_transaction(
        self, orders: ModuleType, customers: ModuleType, distributor: None, dynamodb: Any
    ) -> None:
        # WHEN ACME's order brought by DIST commits
        with recorded_calls() as calls:
            response = commit(orders, order())

        # THEN one batch read (ACME and DIST together) and one transaction wrote everything
        assert response.status == 201
        assert response.body["partner"] == {"partner_id": "DIST", "points": 50}
        assert [operation for operation, _ in calls] == ["BatchGetItem", "TransactWriteItems"]
        accounts_read = next(iter(calls[0][1]["RequestItems"].values()))["Keys"]
        assert accounts_read == [{"customer_id": {"S": "ACME"}}, {"customer_id": {"S": "DIST"}}]
        written = calls[1][1]["TransactItems"]
        partner_put = [
            item["Put"] for item in written if "Put" in item and item["Put"]["Item"]["customer_id"] == {"S": "DIST"}
        ]
        entry_keys = [put["Item"]["entry_key"]["S"] for put in partner_put if "entry_key" in put["Item"]]
        assert len(partner_put) == 2
        assert [key.split("#", 1)[1] for key in entry_keys] == ["SO-1001#earn#partner#SO-1001#partner"]
        account_put = next(put for put in partner_put if "version" in put["Item"])
        assert account_put["ConditionExpression"] == "version = :read"
        assert reconcile(dynamodb) == {"ACME": 100, "DIST": 50}

        # AND DIST's summary and ledger show it
        shown = summary(customers, "DIST").body
        assert shown["balance"] == 50
        assert shown["partner"] == {"orders": 1, "sales": "100.50", "points": 50}
        assert shown["tier_progress"]["volume"] == 10
        entries = ledger(customers, "DIST")
        fields = ("kind", "points", "rule", "order_id", "buyer_id")
        shown_entries = [tuple(entry[name] for name in fields) for entry in entries]
        assert shown_entries == [("earn", 50, "partner", "SO-1001", None)]
        assert summary(customers, "ACME").body["partner"] is None

    def test_the_preview_shows_the_credit_and_writes_nothing(
        self, orders: ModuleType, distributor: None, dynamodb: Any
    ) -> None:
        with recorded_calls() as calls:
            response = call(orders, api_event("orders-preview", body=order()))

        assert response.status == 200
        assert response.body["partner"] == {"partner_id": "DIST", "points": 50}
        assert [operation for operation, _ in calls] == ["BatchGetItem"]

    def test_a_cancel_reverses_the_credit_in_its_one_transaction(
        self, orders: ModuleType, customers: ModuleType, distributor: None, dynamodb: Any
    ) -> None:
        commit(orders, order())

        with recorded_calls() as calls:
            response = cancel(orders, "SO-1001")

        assert response.status == 200
        # the order, then ACME and DIST in one batch, then one transaction
        assert [operation for operation, _ in calls] == ["GetItem", "BatchGetItem", "TransactWriteItems"]
        assert reconcile(dynamodb) == {"ACME": 0, "DIST": 0}
        shown = summary(customers, "DIST").body
        assert shown["partner"] == {"orders": 0, "sales": "0.00", "points": 0}
        assert shown["tier_progress"]["volume"] == 0
        assert [(entry["kind"], entry["points"]) for entry in ledger(customers, "DIST")] == [
            ("reverse", -50),
            ("earn", 50),
        ]

    def test_a_return_takes_back_the_credit_in_proportion(
        self, orders: ModuleType, customers: ModuleType, distributor: None, dynamodb: Any
    ) -> None:
        commit(orders, order())

        returned = call(
            orders,
            api_event(
                "orders-returns",
                body={"return_id": "R1", "lines": [{"sku": "BOLT-M8", "quantity": 3}]},
                path_parameters={"order_id": "SO-1001"},
            ),
        )

        # THEN 7 of 10 stay: DIST keeps floor(50 x 0.7) = 35, ACME floor(100 x 0.7) = 70
        assert returned.status == 201
        assert reconcile(dynamodb) == {"ACME": 70, "DIST": 35}
        assert summary(customers, "DIST").body["partner"] == {"orders": 1, "sales": "70.35", "points": 35}

    def test_a_commit_whose_partner_was_written_meanwhile_is_retried_and_credits_once(
        self, orders: ModuleType, customers: ModuleType, distributor: None, dynamodb: Any
    ) -> None:
        # GIVEN another write lands on DIST between the commit's read and its transaction
        client = clients.dynamodb()
        moved: list[str] = []

        def move_partner(model: Any, **_: Any) -> None:
            if model.name == "TransactWriteItems" and not moved:
                moved.append("DIST")
                client.update_item(
                    TableName=settings().accounts_table,
                    Key={"customer_id": {"S": "DIST"}},
                    UpdateExpression="SET version = version + :one",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                )

        client.meta.events.register("provide-client-params.dynamodb", move_partner)
        try:
            with recorded_calls() as calls:
                response = commit(orders, order())
        finally:
            client.meta.events.unregister("provide-client-params.dynamodb", move_partner)

        # THEN the commit read again and wrote once more, under a request token of its own
        assert response.status == 201
        transactions = [params for operation, params in calls if operation == "TransactWriteItems"]
        assert len(transactions) == 2
        assert transactions[0]["ClientRequestToken"] != transactions[1]["ClientRequestToken"]
        assert reconcile(dynamodb) == {"ACME": 100, "DIST": 50}


class TestRefusals:
    def test_a_program_without_partners_refuses_partner_id(
        self, dynamodb: Any, customers: ModuleType, distributor: None
    ) -> None:
        activate(spec_document())
        orders = load_function("functions/orders")

        response = commit(orders, order())

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["partner_id"]

    @pytest.mark.parametrize("route", ["orders-preview", "orders-commit"])
    @pytest.mark.parametrize(
        ("partner_id", "reason"), [("NOBODY", "unknown"), ("ACME", "the customer"), ("PLAIN", "not a partner")]
    )
    def test_a_partner_id_that_names_no_partner_is_a_422_on_partner_id(
        self, orders: ModuleType, customers: ModuleType, route: str, partner_id: str, reason: str, dynamodb: Any
    ) -> None:
        put_profile(customers, "PLAIN", {"name": "Plain GmbH"})

        response = call(orders, api_event(route, body=order(partner_id=partner_id)))

        assert response.status == 422, reason
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["partner_id"]
        assert reconcile(dynamodb).get("ACME") is None


class TestLargestCommit:
    def test_the_largest_commit_writes_fewer_items_than_a_transaction_holds(
        self, dynamodb: Any, customers: ModuleType
    ) -> None:
        # GIVEN a program with the most earning rules it may have (50), all of which this order meets
        rules = [
            {"id": f"cat-{number}", "kind": "category_multiplier", "category": f"c{number}", "multiplier": "2"}
            for number in range(50)
        ]
        document = partner_document()
        document["tiers"]["levels"][0]["points_multiplier"] = "1.1"
        document["tiers"]["levels"][0]["bonus_points_per_order"] = 5
        document["rules"] = [
            *rules[:49],
            {
                "id": "year-end",
                "kind": "multiplier_event",
                "multiplier": "3",
                "starts_at": "2026-11-01T00:00:00Z",
                "ends_at": "2026-12-01T00:00:00Z",
            },
        ]
        document["referral"]["referrer_reward"]["points"] = 10
        activate(document)
        orders = load_function("functions/orders")
        call(orders, api_event("orders-preview", body={**ORDER, "partner_id": None}))
        # AND a referee that owns 19 reward codes (referrals of its own) and holds redeemable points
        config = settings()
        new = Account(customer_id="ACME")
        dynamodb.put_item(
            TableName=config.accounts_table,
            Item=item_from_record(AccountRecord(account=new), config.due_shards, version=1),
        )
        codes = [
            DiscountCode(
                code=f"RW-{number:02d}",
                kind="referral_reward",
                customer_id="ACME",
                percent=Decimal("1"),
                issued_at=at("2026-11-01T00:00:00Z"),
                expires_at=at("2026-11-01T00:00:00Z") + timedelta(days=60),
                issued_by_order=f"EARLIER-{number}",
            )
            for number in range(19)
        ]
        for code in codes:
            dynamodb.put_item(TableName=config.codes_table, Item=discount_code_item(code, config.due_shards))
        referrer = ReferralCode(code="R-REF", customer_id="REFERRER", referrals=0)
        referral_item = referral_code_item(referrer, at("2026-11-01T00:00:00Z"), config.report_shards)
        dynamodb.put_item(TableName=config.codes_table, Item=referral_item)
        put_profile(customers, "REFERRER", {"name": "Referrer AG"})
        # AND a partner one item short of Silver
        partner = Account(
            customer_id="DIST",
            partner=True,
            tier="Bronze",
            buckets=(VolumeBucket(day=at("2026-11-01T00:00:00Z").date(), items=999, spend=Decimal(0)),),
        )
        dynamodb.put_item(
            TableName=config.accounts_table,
            Item=item_from_record(AccountRecord(account=partner), config.due_shards, version=1),
        )
        lines = [
            {"sku": f"S{number}", "quantity": 30, "unit_price": "10", "category": f"c{number}"} for number in range(49)
        ]
        body = order(lines=lines, codes=[code.code for code in codes] + ["R-REF"])

        # WHEN it commits
        with recorded_calls() as calls:
            response = commit(orders, body)

        # THEN the transaction holds, by hand: the order, the account, 55 ledger entries (base, 49 categories,
        # tier, event, tier_bonus, the referrer's reward, the partner's credit), 19 used codes, the issued code,
        # the account's tier change, the referral code, the reward code, the referrer, the partner and its tier
        # change: 83 items, and the counters (liability and tiers) the three accounts move
        assert response.status == 201, response.body
        (transaction,) = [params for operation, params in calls if operation == "TransactWriteItems"]
        written = transaction["TransactItems"]
        counters = [item for item in written if "Update" in item and item["Update"]["TableName"] == config.stats_table]
        ledger_entries = [item for item in written if "Put" in item and item["Put"]["TableName"] == config.ledger_table]
        # base, categories, tier, event, tier bonus, the referrer's reward, the partner's credit
        assert len(ledger_entries) == 1 + 49 + 1 + 1 + 1 + 1 + 1
        assert len(written) == 1 + 1 + len(ledger_entries) + 19 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + len(counters)
        assert len(written) == 83 + len(counters)
        assert len(counters) <= 7
        assert len(written) < MAX_ITEMS
        assert reconcile(dynamodb)["DIST"] == response.body["partner"]["points"]
