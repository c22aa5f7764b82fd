"""One poisoned account never stops a job's work on the others: tiers and expiry, inline and in SQS pages."""

from __future__ import annotations

import json
import logging
from types import ModuleType
from typing import Any

import pytest

from loyalty_aws import clients
from loyalty_aws.settings import settings
from tests.integration.test_jobs import account, commit, create_queue, drain, fan_out, order, run
from tests.support.api import activate
from tests.support.events import sqs_event
from tests.support.lambdas import FakeLambdaContext, load_function

pytestmark = pytest.mark.integration

__all__ = ["fan_out"]  # the fixture, used by name below

POISONED = "C1"


@pytest.fixture
def functions(dynamodb: Any, program_document: dict[str, Any]) -> dict[str, ModuleType]:
    activate(program_document)
    return {name: load_function(f"functions/{name}") for name in ("orders", "tiers", "expiry")}


def three_accounts_one_poisoned(functions: dict[str, ModuleType]) -> None:
    """C0, C1 and C2 each reached Silver with an order on 2026-01-10; C1's stored lot is unreadable."""
    for number in range(3):
        commit(functions, order(f"SO-{number}", "2026-01-10T15:00:00Z", customer_id=f"C{number}"))
    clients.dynamodb().update_item(
        TableName=settings().accounts_table,
        Key={"customer_id": {"S": POISONED}},
        UpdateExpression="SET lots = :bad",
        ExpressionAttributeValues={":bad": {"S": json.dumps([["SO-1", "SO-1", "999-01-10T15:00:00Z", None, 1, 1]])}},
    )


def healthy() -> list[str]:
    return ["C0", "C2"]


class TestInline:
    def test_the_tier_review_reports_the_poisoned_account_and_reviews_the_others(
        self, functions: dict[str, ModuleType], caplog: pytest.LogCaptureFixture
    ) -> None:
        three_accounts_one_poisoned(functions)

        with caplog.at_level(logging.ERROR):
            summary = run(functions, "tiers", "2027-01-10T02:00:00Z")

        assert (summary["due"], summary["changed"], summary["failed"]) == (3, 2, 1)
        assert summary["failed_units"] == [POISONED]
        assert [account(customer_id).account.tier for customer_id in healthy()] == ["Bronze", "Bronze"]
        assert any(getattr(record, "unit", None) == POISONED for record in caplog.records)

    def test_the_expiry_reports_the_poisoned_account_and_expires_the_others(
        self, functions: dict[str, ModuleType], dynamodb: Any
    ) -> None:
        three_accounts_one_poisoned(functions)

        summary = run(functions, "expiry", "2027-01-11T03:00:00Z")

        assert summary["failed_units"] == ["lots:" + POISONED]
        assert summary["changed"] == 2
        assert [account(customer_id).account.balance for customer_id in healthy()] == [0, 0]

    def test_a_second_run_retries_only_what_failed(self, functions: dict[str, ModuleType]) -> None:
        three_accounts_one_poisoned(functions)
        run(functions, "tiers", "2027-01-10T02:00:00Z")

        again = run(functions, "tiers", "2027-01-10T02:00:00Z")

        assert (again["due"], again["changed"], again["failed_units"]) == (1, 0, [POISONED])


class TestPages:
    def test_a_page_with_the_poisoned_account_fails_alone_after_working_its_other_units(
        self, functions: dict[str, ModuleType], fan_out: None
    ) -> None:
        # GIVEN the three accounts in one page, and another page with a healthy account
        queue_url = create_queue("TiersQueue")
        three_accounts_one_poisoned(functions)
        commit(functions, order("SO-3", "2026-01-10T15:00:00Z", customer_id="C3"))
        run(functions, "tiers", "2027-01-10T02:00:00Z")
        bodies = drain(queue_url)
        poisoned_page = next(body for body in bodies if POISONED in body)
        # WHEN the worker takes a batch of the poisoned page and a healthy one
        other = json.dumps({**json.loads(poisoned_page), "units": ["C3"]})
        event = sqs_event([poisoned_page, other])
        response = functions["tiers"].worker_handler(event, FakeLambdaContext())
        # THEN only the poisoned page is a batch item failure, and every healthy account was reviewed
        assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
        assert {account(f"C{number}").account.tier for number in (0, 2, 3)} == {"Bronze"}

    def test_the_expiry_worker_leaves_every_healthy_account_consistent(
        self, functions: dict[str, ModuleType], fan_out: None, dynamodb: Any
    ) -> None:
        queue_url = create_queue("ExpiryQueue")
        three_accounts_one_poisoned(functions)
        run(functions, "expiry", "2027-01-11T03:00:00Z")
        [body] = drain(queue_url)
        event = sqs_event([body, body.replace(POISONED, "C0")])

        response = functions["expiry"].worker_handler(event, FakeLambdaContext())

        assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
        assert [account(customer_id).account.balance for customer_id in healthy()] == [0, 0]
