"""The nightly tier and expiry jobs against DynamoDB (moto), driven by the time in their events."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from loyalty_aws import clients
from loyalty_aws.orders import DynamoOrderStore
from loyalty_aws.settings import settings
from tests.integration.reconcile import reconcile
from tests.support.api import activate
from tests.support.events import api_event, scheduled_event, sqs_event
from tests.support.lambdas import FakeLambdaContext, call, load_function

BOLTS = [{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}]


def order(order_id: str, placed_at: str, customer_id: str = "ACME", **changes: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "placed_at": placed_at,
        "currency": "EUR",
        "lines": copy.deepcopy(BOLTS),
        **changes,
    }


@pytest.fixture
def functions(dynamodb: Any, program_document: dict[str, Any]) -> dict[str, ModuleType]:
    activate(program_document)
    return {name: load_function(f"functions/{name}") for name in ("orders", "tiers", "expiry", "customers")}


def commit(functions: dict[str, ModuleType], body: dict[str, Any]) -> dict[str, Any]:
    response = call(functions["orders"], api_event("orders-commit", body=body))
    assert response.status == 201, response.body
    return response.body


def run(functions: dict[str, ModuleType], job: str, time: str) -> dict[str, Any]:
    return functions[job].lambda_handler(scheduled_event(job, time), FakeLambdaContext())


def tier_history(functions: dict[str, ModuleType], customer_id: str = "ACME", **query: str) -> Any:
    return call(
        functions["customers"],
        api_event("customers-tier-history", query=query, path_parameters={"customer_id": customer_id}),
    )


def account(customer_id: str = "ACME") -> Any:
    return DynamoOrderStore().load_account(customer_id)


def code_status(code: str) -> str:
    item = clients.dynamodb().get_item(TableName=settings().codes_table, Key={"code": {"S": code}})["Item"]
    return item["status"]["S"]


class TestTiers:
    def test_an_account_is_downgraded_the_night_its_volume_leaves_the_window_not_the_night_before(
        self, functions: dict[str, ModuleType]
    ) -> None:
        # GIVEN an account that reached Silver with 1,000 items on 2026-01-10
        commit(functions, order("SO-1", "2026-01-10T15:00:00Z"))
        assert account().account.tier == "Silver"
        # WHEN the nightly review runs the night before the order leaves the 365-day window
        before = run(functions, "tiers", "2027-01-09T02:00:00Z")
        # THEN nothing is due yet
        assert before["due"] == 0
        assert account().account.tier == "Silver"
        # AND the night it leaves, the account is downgraded and its history says so
        that_night = run(functions, "tiers", "2027-01-10T02:00:00Z")
        assert (that_night["due"], that_night["changed"]) == (1, 1)
        assert account().account.tier == "Bronze"
        history = clients.dynamodb().query(
            TableName=settings().history_table,
            KeyConditionExpression="customer_id = :c",
            ExpressionAttributeValues={":c": {"S": "ACME"}},
        )["Items"]
        assert [(item["before"]["S"], item["after"]["S"]) for item in history] == [
            ("Bronze", "Silver"),  # the upgrade on the order
            ("Silver", "Bronze"),  # the nightly downgrade
        ]

    def test_the_tier_history_says_why_the_account_holds_its_tier_newest_first_and_pages(
        self, functions: dict[str, ModuleType]
    ) -> None:
        # GIVEN an account lifted to Silver by an order, then downgraded the night that order left the window
        commit(functions, order("SO-1", "2026-01-10T15:00:00Z"))
        run(functions, "tiers", "2027-01-10T02:00:00Z")
        # WHEN the storefront reads its tier history one entry a page
        first = tier_history(functions, limit="1")
        second = tier_history(functions, limit="1", cursor=first.body["next_cursor"])
        # THEN the review comes first, with the threshold the window no longer reaches, then the order's upgrade
        assert (first.status, second.status) == (200, 200)
        assert first.body["entries"] == [
            {"at": "2027-01-10T02:00:00Z", "from": "Silver", "to": "Bronze", "reason": "review", "order_id": None,
             "volume": 0, "threshold": 1000}
        ]  # fmt: skip
        assert second.body["entries"] == [
            {"at": "2026-01-10T15:00:00Z", "from": "Bronze", "to": "Silver", "reason": "order", "order_id": "SO-1",
             "volume": 1000, "threshold": 1000}
        ]  # fmt: skip
        assert second.body["next_cursor"] is None

    def test_the_tier_history_of_an_unknown_account_is_a_404_and_a_foreign_cursor_a_422(
        self, functions: dict[str, ModuleType]
    ) -> None:
        commit(functions, order("SO-1", "2026-01-10T15:00:00Z"))
        commit(functions, order("SO-2", "2026-01-10T15:00:00Z", customer_id="OTHER"))  # Silver
        gold = [{"sku": "BOLT-M8", "quantity": 4000, "unit_price": "0.45"}]
        commit(functions, order("SO-3", "2026-01-11T15:00:00Z", customer_id="OTHER", lines=gold))
        foreign_cursor = tier_history(functions, "OTHER", limit="1").body["next_cursor"]
        assert foreign_cursor is not None

        assert tier_history(functions, "NOBODY").status == 404
        refused = tier_history(functions, limit="1", cursor=foreign_cursor)
        assert refused.status == 422
        assert refused.body["error"]["details"][0]["field"] == "cursor"

    def test_a_missed_night_is_caught_up_by_the_next_run(self, functions: dict[str, ModuleType]) -> None:
        commit(functions, order("SO-1", "2026-01-10T15:00:00Z"))

        summary = run(functions, "tiers", "2027-01-15T02:00:00Z")

        assert summary["changed"] == 1
        assert account().account.tier == "Bronze"

    def test_running_twice_at_the_same_time_changes_nothing_the_second_time(
        self, functions: dict[str, ModuleType]
    ) -> None:
        commit(functions, order("SO-1", "2026-01-10T15:00:00Z"))
        run(functions, "tiers", "2027-01-10T02:00:00Z")
        after_first = account()

        second = run(functions, "tiers", "2027-01-10T02:00:00Z")

        assert (second["due"], second["changed"]) == (0, 0)
        assert account() == after_first

    def test_a_cancelled_order_leads_to_a_review_at_the_next_run(self, functions: dict[str, ModuleType]) -> None:
        commit(functions, order("SO-1", "2026-01-10T15:00:00Z"))
        call(functions["orders"], api_event("orders-cancel", path_parameters={"order_id": "SO-1"}))

        summary = run(functions, "tiers", "2026-01-11T02:00:00Z")

        assert summary["changed"] == 1
        assert account().account.tier == "Bronze"


class TestExpiry:
    def test_a_code_issued_at_t_expires_after_t_plus_valid_days_and_not_before(
        self, functions: dict[str, ModuleType]
    ) -> None:
        # GIVEN a next-purchase code issued with an order on 2026-11-01 at 09:00 (valid 30 days)
        issued = commit(
            functions, order("SO-1", "2026-11-01T09:00:00Z", lines=[{"sku": "P", "quantity": 1, "unit_price": "600"}])
        )
        code = issued["issued_discount"]["code"]
        assert issued["issued_discount"]["expires_at"] == "2026-12-01T09:00:00Z"
        # WHEN the expiry job runs just before its end, THEN it stays active
        assert run(functions, "expiry", "2026-12-01T08:59:59Z")["changed"] == 0
        assert code_status(code) == "active"
        # AND at its end it expires, and an order can no longer use it
        assert run(functions, "expiry", "2026-12-01T09:00:00Z")["changed"] == 1
        assert code_status(code) == "expired"
        refused = call(
            functions["orders"], api_event("orders-preview", body=order("SO-2", "2026-11-30T09:00:00Z", codes=[code]))
        )
        assert refused.body["rejected_codes"] == [{"code": code, "reason": "expired"}]

    def test_a_lot_expires_on_its_day_and_the_balance_drops_by_exactly_its_remainder(
        self, functions: dict[str, ModuleType], dynamodb: Any
    ) -> None:
        # GIVEN points earned on 2026-01-10 (365 days) and on 2026-06-01, some of the first already spent
        first = commit(functions, order("SO-1", "2026-01-10T15:00:00Z"))
        commit(
            functions,
            order(
                "SO-2",
                "2026-06-01T15:00:00Z",
                lines=[{"sku": "A", "quantity": 1, "unit_price": "20"}],
                redeem_points=500,
            ),
        )
        balance = account().account.balance
        # WHEN the expiry job runs the day the first lot ends
        assert run(functions, "expiry", "2027-01-10T14:59:59Z")["changed"] == 0
        summary = run(functions, "expiry", "2027-01-10T15:00:00Z")
        # THEN the balance drops by exactly what remained of it, with one expire entry
        assert summary["changed"] == 1
        assert account().account.balance == balance - (first["points"] - 500)
        assert reconcile(dynamodb)["ACME"] == account().account.balance
        ledger = call(functions["orders"], api_event("orders-preview", body=order("SO-3", "2027-01-11T00:00:00Z")))
        assert ledger.status == 200

    def test_running_twice_at_the_same_time_expires_nothing_more(
        self, functions: dict[str, ModuleType], dynamodb: Any
    ) -> None:
        commit(
            functions, order("SO-1", "2026-01-10T15:00:00Z", lines=[{"sku": "P", "quantity": 1, "unit_price": "600"}])
        )
        run(functions, "expiry", "2027-02-01T03:00:00Z")
        balance = reconcile(dynamodb)

        second = run(functions, "expiry", "2027-02-01T03:00:00Z")

        assert (second["due"], second["changed"]) == (0, 0)
        assert reconcile(dynamodb) == balance

    def test_more_lots_due_than_a_transaction_holds_all_expire_over_several_writes(
        self, functions: dict[str, ModuleType], dynamodb: Any
    ) -> None:
        # GIVEN 130 orders of one company on one day (its buyers), so 130 lots end the same second
        lines = [{"sku": "P", "quantity": 1, "unit_price": "10"}]
        for number in range(130):
            commit(functions, order(f"SO-{number}", "2026-01-10T15:00:00Z", lines=lines))
        earned = account().account.balance
        assert earned > 0
        assert len(account().account.wallet.lots) == 130
        # WHEN the expiry job runs after their end (one write holds the account and 90 entries at most)
        summary = run(functions, "expiry", "2027-01-11T03:00:00Z")
        # THEN every lot expired, each once, and the balance is still the sum of the ledger
        assert (summary["due"], summary["changed"]) == (1, 1)
        assert account().account.balance == 0
        assert reconcile(dynamodb)["ACME"] == 0
        entries = clients.dynamodb().query(
            TableName=settings().ledger_table,
            KeyConditionExpression="customer_id = :c",
            ExpressionAttributeValues={":c": {"S": "ACME"}},
        )["Items"]
        expired = [entry for entry in entries if entry["kind"]["S"] == "expire"]
        assert len(expired) == 130
        assert len({entry["lot_id"]["S"] for entry in expired}) == 130
        assert -sum(int(entry["points"]["N"]) for entry in expired) == earned
        # AND a second run finds nothing due
        assert run(functions, "expiry", "2027-01-11T03:00:00Z")["changed"] == 0


@pytest.fixture
def fan_out() -> Iterator[None]:
    """Make every job fan out through its queue: no work is done inline."""
    saved = os.environ.get("INLINE_WORK_LIMIT")
    os.environ["INLINE_WORK_LIMIT"] = "0"
    settings.cache_clear()
    yield
    if saved is None:
        os.environ.pop("INLINE_WORK_LIMIT", None)
    else:
        os.environ["INLINE_WORK_LIMIT"] = saved
    settings.cache_clear()


class TestFanOut:
    def test_a_large_run_is_queued_in_pages_and_the_workers_finish_it(
        self, functions: dict[str, ModuleType], fan_out: None
    ) -> None:
        queue_url = create_queue("TiersQueue")
        for number in range(3):
            commit(functions, order(f"SO-{number}", "2026-01-10T15:00:00Z", customer_id=f"C{number}"))

        summary = run(functions, "tiers", "2027-01-10T02:00:00Z")
        assert (summary["due"], summary["fanned_out"], summary["changed"]) == (3, True, 0)

        bodies = drain(queue_url)
        response = functions["tiers"].worker_handler(sqs_event(bodies), FakeLambdaContext())

        assert response == {"batchItemFailures": []}
        assert {account(f"C{number}").account.tier for number in range(3)} == {"Bronze"}

    def test_a_worker_that_fails_half_way_leaves_no_partial_effect_and_its_retry_completes(
        self, functions: dict[str, ModuleType], fan_out: None, dynamodb: Any
    ) -> None:
        # GIVEN a page of three accounts whose points expire
        queue_url = create_queue("ExpiryQueue")
        for number in range(3):
            commit(functions, order(f"SO-{number}", "2026-01-10T15:00:00Z", customer_id=f"C{number}"))
        run(functions, "expiry", "2027-01-11T03:00:00Z")
        [body] = drain(queue_url)
        # WHEN the worker crashes on the second account's transaction (the batch's only page fails,
        # so the whole invocation fails and SQS delivers the page again)
        failing = fail_transaction(number=2)
        with pytest.raises(BatchProcessingError):
            functions["expiry"].worker_handler(sqs_event([body]), FakeLambdaContext())
        # THEN the failed account is untouched, the page's others are done, and every account is consistent
        balances = reconcile(dynamodb)
        assert sorted(balances.values()).count(0) == 2
        # AND the retry of the same page finishes the rest without repeating the first
        failing.disarm()
        retry = functions["expiry"].worker_handler(sqs_event([body]), FakeLambdaContext())
        assert retry == {"batchItemFailures": []}
        assert set(reconcile(dynamodb).values()) == {0}


class TestCost:
    def test_ten_times_more_accounts_not_due_costs_the_same_reads(self, functions: dict[str, ModuleType]) -> None:
        # GIVEN two accounts due for review, measured alone
        for number in range(2):
            commit(functions, order(f"SO-D{number}", "2026-01-10T15:00:00Z", customer_id=f"DUE{number}"))
        for number in range(2):
            commit(functions, order(f"SO-N{number}", "2026-12-01T15:00:00Z", customer_id=f"NOTDUE{number}"))
        alone = items_read(lambda: run(cold(functions), "tiers", "2027-01-10T02:00:00Z"))
        # WHEN ten times more accounts that are not due exist, and the same review is replayed
        for number in range(2, 20):
            commit(functions, order(f"SO-N{number}", "2026-12-01T15:00:00Z", customer_id=f"NOTDUE{number}"))
        for number in range(2):
            commit(functions, order(f"SO-D{number}-again", "2026-01-10T16:00:00Z", customer_id=f"AGAIN{number}"))
        crowded = items_read(lambda: run(cold(functions), "tiers", "2027-01-10T02:00:00Z"))
        # THEN the job read exactly as many items
        assert crowded == alone


def cold(functions: dict[str, ModuleType]) -> dict[str, ModuleType]:
    """The functions with a freshly started tiers job (its program cache empty, as on a new night)."""
    return {**functions, "tiers": load_function("functions/tiers")}


def create_queue(logical_id: str) -> str:
    """The job's queue, as the template names it (the planner reads its URL from WORK_QUEUE_URL)."""
    sqs = clients.sqs()
    url = sqs.create_queue(QueueName=logical_id)["QueueUrl"]
    os.environ["WORK_QUEUE_URL"] = url
    settings.cache_clear()
    return url


def drain(queue_url: str) -> list[str]:
    sqs = clients.sqs()
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


class FailingTransaction:
    def __init__(self, number: int) -> None:
        self.seen = 0
        self.number = number
        self.armed = True

    def __call__(self, **_: Any) -> None:
        self.seen += 1
        if self.armed and self.seen == self.number:
            raise ConnectionError("the worker lost its connection mid-page")

    def disarm(self) -> None:
        self.armed = False


def fail_transaction(number: int) -> FailingTransaction:
    failing = FailingTransaction(number)
    clients.dynamodb().meta.events.register("before-call.dynamodb.TransactWriteItems", failing)
    return failing


def items_read(action: Any) -> int:
    """How many items DynamoDB returned while ``action`` ran (queries, gets, batch gets)."""
    counted = {"items": 0}

    def count(parsed: dict[str, Any], **_: Any) -> None:
        counted["items"] += len(parsed.get("Items", [])) + (1 if parsed.get("Item") else 0)
        counted["items"] += sum(len(items) for items in parsed.get("Responses", {}).values())

    events = clients.dynamodb().meta.events
    events.register("after-call.dynamodb.*", count)
    try:
        action()
    finally:
        events.unregister("after-call.dynamodb.*", count)
    return counted["items"]
