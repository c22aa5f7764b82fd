"""The core of history import: nothing earned, volume, first-order date, lifetime spend and anniversaries counted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from loyalty.account import Account
from loyalty.commit import commit_order
from loyalty.errors import InvalidInput
from loyalty.history import HistoryImport, import_history, imported_record
from tests.unit.builders import at, make_order, make_program, minting

PROGRAM = make_program()


def past(order_id: str, placed_at: str, quantity: int = 600, **changes: Any) -> Any:
    lines = [{"sku": "BOLT-M8", "quantity": quantity, "unit_price": "0.45", "category": "fasteners"}]
    return make_order(order_id=order_id, placed_at=placed_at, lines=lines, **changes)


def test_an_imported_order_is_a_committed_record_that_earned_redeemed_and_issued_nothing() -> None:
    record = imported_record(past("OLD-1", "2026-03-04T09:00:00Z", codes=["NP-OLD"], redeem_points=10))

    assert record.imported
    assert record.status == "committed"
    assert (record.decision.points, record.decision.breakdown, record.decision.points_redeemed) == (0, (), 0)
    assert record.eligible_amount == Decimal("270.00")
    assert record.issued_code is None
    assert record.used_codes == ()
    assert record.order is not None
    assert (record.order.codes, record.order.redeem_points) == ([], 0)


def test_imported_orders_add_volume_spend_and_the_first_order_date_and_upgrade_at_once() -> None:
    orders = [past("OLD-1", "2026-03-04T09:00:00Z"), past("OLD-2", "2026-01-10T09:00:00Z")]

    done = import_history(PROGRAM, Account(customer_id="ACME"), orders)

    account = done.account
    assert account.first_order_at == at("2026-01-10T09:00:00Z")
    assert account.lifetime_spend == Decimal("540.00")
    assert sum(bucket.items for bucket in account.buckets) == 1200
    assert account.tier == "Silver"
    assert account.balance == 0
    assert [record.order_id for record in done.records] == ["OLD-1", "OLD-2"]


def test_anniversaries_passed_within_the_history_are_not_rewarded_later_but_the_next_one_is() -> None:
    # GIVEN a first order on 2024-03-04 and history up to 2026-10-01: the 2025 and 2026 anniversaries have passed
    orders = [past("OLD-1", "2024-03-04T09:00:00Z", quantity=1), past("OLD-2", "2026-10-01T09:00:00Z", quantity=1)]
    account = import_history(PROGRAM, Account(customer_id="ACME"), orders).account
    assert account.anniversaries_rewarded == 2

    # WHEN the first live orders come, in November 2026 and after the third anniversary
    november = commit_order(PROGRAM, account, make_order(placed_at="2026-11-20T10:00:00Z"), {}, mint=minting())
    march = commit_order(
        PROGRAM, november.account, make_order(order_id="SO-2", placed_at="2027-03-05T10:00:00Z"), {}, mint=minting()
    )

    # THEN only the later one earns the anniversary bonus
    assert "anniversary" not in {line.rule for line in november.decision.breakdown}
    assert "anniversary" in {line.rule for line in march.decision.breakdown}


def test_a_batch_names_the_index_of_an_invalid_order() -> None:
    good = {"order_id": "OLD-1", "customer_id": "ACME", "placed_at": "2026-03-04T09:00:00Z", "currency": "EUR"}
    lines = [{"sku": "BOLT-M8", "quantity": 1, "unit_price": "0.45"}]
    bad_lines = [
        {"sku": "BOLT-M8", "quantity": 1, "unit_price": "0.45"},
        {"sku": "X", "quantity": 1, "unit_price": "x"},
    ]

    with pytest.raises(ValidationError) as raised:
        HistoryImport.model_validate(
            {"orders": [{**good, "lines": lines}, {**good, "order_id": "OLD-2", "lines": bad_lines}]}
        )

    assert [error["loc"] for error in raised.value.errors()] == [("orders", 1, "lines", 1, "unit_price")]


def test_a_batch_in_another_currency_than_the_program_names_each_order() -> None:
    batch = HistoryImport(
        orders=[past("OLD-1", "2026-03-04T09:00:00Z"), past("OLD-2", "2026-03-04T09:00:00Z", currency="USD")]
    )

    with pytest.raises(InvalidInput) as raised:
        batch.check_currency("EUR")

    assert [detail.field for detail in raised.value.details] == ["orders.1.currency"]
