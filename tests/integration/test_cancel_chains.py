"""Cancels of orders whose points fed each other's redemptions, in any order, against DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.reconcile import reconcile
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws() as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(spec_document())
    return Api()


def earning(order_id: str, placed_at: str, **changes: Any) -> dict[str, Any]:
    """1,000 points: 20 valves at 50.00 (1,000.00), no category rule, no bulk bonus."""
    lines = [{"sku": "VALVE-20", "quantity": 20, "unit_price": "50.00", "category": "valves"}]
    return order(order_id=order_id, placed_at=placed_at, lines=lines, **changes)


def test_cancelling_a_redeeming_order_after_the_order_it_spent_from_succeeds(api: Api, dynamodb: Any) -> None:
    # GIVEN A earning 1,000 points, then B redeeming 500 of them
    a = api.commit(earning("SO-A", "2026-11-02T10:00:00Z"))
    b = api.commit(earning("SO-B", "2026-11-03T10:00:00Z", redeem_points=500))
    assert (a.status, b.status) == (201, 201)
    # WHEN A is cancelled, then B
    cancel_a = api.cancel("SO-A")
    cancel_b = api.cancel("SO-B")
    # THEN both succeed, B's redeemed points come back, and the ledger reconciles to nothing
    assert (cancel_a.status, cancel_b.status) == (200, 200), cancel_b.body
    assert cancel_b.body["balance"] == 0
    assert api.summary().body["balance"] == 0
    assert reconcile(dynamodb) == {"ACME": 0}


def test_cancelling_again_after_the_chain_changes_nothing(api: Api, dynamodb: Any) -> None:
    api.commit(earning("SO-A", "2026-11-02T10:00:00Z"))
    api.commit(earning("SO-B", "2026-11-03T10:00:00Z", redeem_points=500))
    api.cancel("SO-A")
    first = api.cancel("SO-B")

    again = api.cancel("SO-B")

    assert again.status == 200
    assert again.body == first.body
    assert reconcile(dynamodb) == {"ACME": 0}


def test_when_another_lot_paid_the_reversal_the_given_back_points_stay_in_the_balance(api: Api, dynamodb: Any) -> None:
    # GIVEN A (1,000) and C (1,000), then B redeeming 500 from A, the oldest lot
    api.commit(earning("SO-A", "2026-11-02T10:00:00Z"))
    api.commit(earning("SO-C", "2026-11-02T11:00:00Z"))
    b = api.commit(earning("SO-B", "2026-11-03T10:00:00Z", redeem_points=500))
    # WHEN A is cancelled (C pays the part of A that was spent), then B
    api.cancel("SO-A")
    cancelled = api.cancel("SO-B")
    # THEN C's 1,000 points are what is left, as the ledger says
    assert cancelled.status == 200
    assert b.body["points"] == 995  # eligible 995.00 after the 5.00 redeemed: the amount B earned
    assert reconcile(dynamodb) == {"ACME": 1000}
