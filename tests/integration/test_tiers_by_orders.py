"""Tiers counted in standing orders (``tiers.basis`` ``orders``, SPEC section 9) against DynamoDB (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.support.events import scheduled_event
from tests.support.lambdas import FakeLambdaContext, load_function
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration

TIERS = {
    "basis": "orders",
    "window_days": 30,
    "levels": [
        {"name": "Bronze", "threshold": 0},
        {"name": "Silver", "threshold": 3},
        {"name": "Gold", "threshold": 10},
    ],
}


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("HistoryFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate({**spec_document(), "tiers": TIERS})
    return Api()


def progress(api: Api) -> dict[str, Any]:
    summary = api.summary().body
    return {"tier": summary["tier"], **summary["tier_progress"]}


def stored_buckets(dynamodb: Any) -> list[Any]:
    item = dynamodb.get_item(TableName=settings().accounts_table, Key={"customer_id": {"S": "ACME"}})["Item"]
    return json.loads(from_item(item)["buckets"])


def test_each_standing_order_counts_one_and_a_cancel_takes_it_back(api: Api, dynamodb: Any) -> None:
    # GIVEN one imported order of October and two live orders of November
    assert api.import_history({"orders": [order(order_id="OLD-1", placed_at="2026-10-30T09:00:00Z")]}).status == 200
    assert api.commit(order(order_id="SO-1", placed_at="2026-11-02T10:00:00Z")).status == 201
    # WHEN the third order is committed
    third = api.commit(order(order_id="SO-2", placed_at="2026-11-02T11:00:00Z"))
    # THEN it reaches Silver (3 orders), and the summary counts orders
    assert third.body["tier"] == {"before": "Bronze", "after": "Silver"}
    assert progress(api) == {"tier": "Silver", "basis": "orders", "volume": 3, "next_tier": "Gold", "remaining": 7}
    assert stored_buckets(dynamodb) == [["2026-10-30", 10, "400", 1], ["2026-11-02", 20, "800", 2]]
    # AND a cancel takes its order back; the nightly review then finds 2 orders and downgrades
    assert api.cancel("SO-2").status == 200
    tiers = load_function("functions/tiers")
    summary = tiers.lambda_handler(scheduled_event("tiers", "2026-11-03T02:00:00Z"), FakeLambdaContext())
    assert summary["changed"] == 1
    assert progress(api) == {"tier": "Bronze", "basis": "orders", "volume": 2, "next_tier": "Silver", "remaining": 1}


def test_a_partial_return_leaves_the_order_counted(api: Api) -> None:
    lines = [
        {"sku": "VALVE-20", "quantity": 10, "unit_price": "40.00", "category": "valves"},
        {"sku": "HOSE-2", "quantity": 1, "unit_price": "10", "category": "valves"},
    ]
    assert api.commit(order(lines=lines)).status == 201
    returned = api.return_lines("SO-1", return_id="R-1", lines=[{"sku": "HOSE-2", "quantity": 1}])
    assert returned.status == 201
    assert progress(api)["volume"] == 1
