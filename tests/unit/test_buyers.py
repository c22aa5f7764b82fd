"""Per-buyer totals of a company account, kept by commits, cancels and returns; who may redeem."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.account import Account
from loyalty.buyers import BuyerMayNotRedeem, BuyerTotals, anonymized, check_may_redeem, may_redeem, standing
from loyalty.commit import OrderRecord, commit_order
from loyalty.history import import_history
from loyalty.profile import Profile
from loyalty.returns import ReturnRequest, cancel_remaining, remaining_view, return_lines
from tests.unit.builders import make_account, make_order, make_program

PROGRAM = make_program()
BOLTS = {"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}
DRILLS = {"sku": "DRILL", "quantity": 2, "unit_price": "100", "category": "tools"}
START = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def mint() -> Any:
    counter = itertools.count(1)
    return lambda _kind: f"NP-{next(counter)}"


def commit(account: Account, order_id: str, buyer: str | None, *, days: int = 0, redeem: int = 0, lines: Any = None):
    order = make_order(
        order_id=order_id,
        buyer_id=buyer,
        placed_at=(START + timedelta(days=days)).isoformat(),
        lines=lines or [BOLTS, DRILLS],
        redeem_points=redeem,
    )
    return commit_order(PROGRAM, account, order, {}, mint=mint())


def totals(account: Account) -> dict[str | None, tuple[int, Decimal, int, int]]:
    return {
        buyer.buyer_id: (buyer.orders, buyer.revenue, buyer.points_earned, buyer.points_redeemed)
        for buyer in account.buyers
    }


def test_each_commit_adds_its_order_to_its_buyer() -> None:
    # GIVEN a company with 1,000 points
    # WHEN Jane commits 650.00 (redeeming 100) and an order without a buyer follows two days later
    first = commit(make_account(1000), "SO-1", "jane@acme.example", redeem=100)
    second = commit(first.account, "SO-2", None, days=2)

    # THEN each keeps its order's eligible amount and points, the order without a buyer listed last
    assert [buyer.buyer_id for buyer in second.account.buyers] == ["jane@acme.example", None]
    jane = second.account.buyers[0]
    assert (jane.orders, jane.revenue, jane.points_earned, jane.points_redeemed) == (
        1,
        first.record.eligible_amount,
        first.decision.points,
        100,
    )
    assert jane.last_order_at == START
    assert second.account.buyers[1].last_order_at == START + timedelta(days=2)


def test_a_cancel_takes_the_order_out_of_its_buyers_totals() -> None:
    first = commit(make_account(1000), "SO-1", "jane@acme.example", redeem=100)
    second = commit(first.account, "SO-2", "jane@acme.example", days=1)

    cancelled = cancel_remaining(second.account, first.record, first.issued_code)

    assert totals(cancelled.account) == {
        "jane@acme.example": (1, second.record.eligible_amount, second.decision.points, 0)
    }


def test_a_return_deducts_what_it_took_off_and_the_order_still_counts() -> None:
    # GIVEN Jane's 650.00 order (Bronze: all of it eligible), 100 points redeemed
    first = commit(make_account(1000), "SO-1", "jane@acme.example", redeem=100)

    # WHEN one drill (100.00 of 650.00) comes back
    request = ReturnRequest(return_id="R1", lines=[{"sku": "DRILL", "quantity": 1}])
    returned = return_lines(first.account, first.record, request, first.issued_code)

    # THEN the order stands with what remains: its revenue, points and redemption less the return's
    result = returned.result
    assert totals(returned.account) == {
        "jane@acme.example": (
            1,
            first.record.eligible_amount - result.eligible_amount,
            first.decision.points - result.points_reversed,
            100 - result.points_restored,
        )
    }


def test_a_full_return_takes_the_order_out() -> None:
    first = commit(make_account(), "SO-1", "jane@acme.example")
    request = ReturnRequest(
        return_id="R1", lines=[{"sku": "BOLT-M8", "quantity": 1000}, {"sku": "DRILL", "quantity": 2}]
    )

    returned = return_lines(first.account, first.record, request, first.issued_code)

    assert totals(returned.account) == {"jane@acme.example": (0, Decimal(0), 0, 0)}
    assert standing(returned.account.buyers) == ()


def test_imported_orders_count_for_their_buyer_at_their_subtotal() -> None:
    orders = [
        make_order(order_id="H-1", buyer_id="joe@acme.example", placed_at="2025-03-01T09:00:00Z"),
        make_order(order_id="H-2", buyer_id="joe@acme.example", placed_at="2025-04-01T09:00:00Z"),
    ]

    imported = import_history(PROGRAM, make_account(), orders)

    assert totals(imported.account) == {"joe@acme.example": (2, Decimal("200"), 0, 0)}
    assert imported.account.buyers[0].last_order_at == datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def test_an_erasure_merges_every_buyer_into_no_buyer() -> None:
    buyers = (
        BuyerTotals(
            buyer_id="a", orders=2, revenue=Decimal("10.5"), points_earned=10, points_redeemed=1, last_order_at=START
        ),
        BuyerTotals(
            buyer_id="b",
            orders=1,
            revenue=Decimal("0.25"),
            points_earned=3,
            points_redeemed=0,
            last_order_at=START + timedelta(days=3),
        ),
        BuyerTotals(buyer_id=None, orders=1, revenue=Decimal(4), points_earned=4, points_redeemed=2),
    )

    assert anonymized(buyers) == (
        BuyerTotals(
            buyer_id=None,
            orders=4,
            revenue=Decimal("14.75"),
            points_earned=17,
            points_redeemed=3,
            last_order_at=START + timedelta(days=3),
        ),
    )


@pytest.mark.parametrize(
    ("redeemers", "buyer", "allowed"),
    [
        (None, None, True),
        (None, "jane@acme.example", True),
        (("jane@acme.example",), "jane@acme.example", True),
        (("jane@acme.example",), "joe@acme.example", False),
        (("jane@acme.example",), None, False),
        ((), "jane@acme.example", False),
    ],
)
def test_only_the_listed_redeemers_may_spend_when_a_list_is_given(
    redeemers: tuple[str, ...] | None, buyer: str | None, allowed: bool
) -> None:
    assert may_redeem(redeemers, buyer) is allowed


def test_a_buyer_not_listed_is_refused_with_buyer_may_not_redeem() -> None:
    profile = Profile(redeemers=["jane@acme.example"])

    with pytest.raises(BuyerMayNotRedeem) as refused:
        profile.check_may_redeem("joe@acme.example")

    assert refused.value.code == "buyer_may_not_redeem"
    check_may_redeem(profile.redeemers, "jane@acme.example")


def test_a_profile_names_at_most_100_redeemers() -> None:
    with pytest.raises(ValueError, match="redeemers"):
        Profile(redeemers=[f"buyer-{number}" for number in range(101)])


# ---------------------------------------------------------------------- the totals against a recomputation

BUYERS = ["jane@acme.example", "joe@acme.example", None]
Step = tuple[str, int, int]
"""("commit", buyer index, days later) / ("cancel", order index, 0) / ("return", order index, drills)."""

steps = st.lists(
    st.one_of(
        st.tuples(st.just("commit"), st.integers(0, 2), st.integers(0, 30)),
        st.tuples(st.just("cancel"), st.integers(0, 9), st.just(0)),
        st.tuples(st.just("return"), st.integers(0, 9), st.integers(1, 2)),
    ),
    min_size=1,
    max_size=12,
)


def recomputed(records: dict[str, OrderRecord]) -> dict[str | None, tuple[int, Decimal, int, int, datetime]]:
    """The totals from the order records alone: standing orders less their returns; the latest order placed."""
    expected: dict[str | None, tuple[int, Decimal, int, int, datetime]] = {}
    for record in records.values():
        orders, revenue, earned, redeemed, latest = expected.get(
            record.buyer_id, (0, Decimal(0), 0, 0, record.placed_at)
        )
        latest = max(latest, record.placed_at)
        if record.status == "committed":
            left = remaining_view(record)
            orders, revenue = orders + 1, revenue + left.eligible_amount
            earned, redeemed = earned + left.decision.points, redeemed + left.decision.points_redeemed
        expected[record.buyer_id] = (orders, revenue, earned, redeemed, latest)
    return expected


@settings(max_examples=60, deadline=None)
@given(steps)
def test_the_totals_equal_a_recomputation_from_the_orders(sequence: list[Step]) -> None:
    account = make_account(5000)
    records: dict[str, OrderRecord] = {}
    for kind, index, amount in sequence:
        if kind == "commit":
            order_id = f"SO-{len(records)}"
            done = commit(account, order_id, BUYERS[index], days=amount, redeem=50 if index == 0 else 0)
            account, records[order_id] = done.account, done.record
            continue
        ids = list(records)
        if not ids:
            continue
        record = records[ids[index % len(ids)]]
        if record.status != "committed":
            continue
        if kind == "cancel":
            cancelled = cancel_remaining(account, record, None)
            account, records[record.order_id] = cancelled.account, cancelled.record
            continue
        drills_left = 2 - sum(done.quantities.get("DRILL", 0) for done in record.returns)
        if drills_left < amount:
            continue
        request = ReturnRequest(return_id=f"R{len(record.returns)}", lines=[{"sku": "DRILL", "quantity": amount}])
        returned = return_lines(account, record, request, None)
        account, records[record.order_id] = returned.account, returned.record

    assert {
        buyer.buyer_id: (buyer.orders, buyer.revenue, buyer.points_earned, buyer.points_redeemed, buyer.last_order_at)
        for buyer in account.buyers
    } == recomputed(records)
