"""The core of returns: proportional reversal with a cumulative floor, exactly once, ending where a cancel would."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from loyalty.account import Account
from loyalty.commit import Commit, cancel_order, commit_order
from loyalty.ledger import LedgerEntry
from loyalty.returns import (
    ReturnConflict,
    ReturnExceedsOrder,
    ReturnRequest,
    cancel_remaining,
    remaining_order,
    remaining_view,
    replayed_return,
    return_lines,
)
from tests.unit.builders import make_account, make_order, make_program, minting

PROGRAM = make_program()
BOLTS = {"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}
DRILLS = {"sku": "DRILL", "quantity": 2, "unit_price": "100", "category": "tools"}


def committed(*lines: dict[str, Any], redeem: int = 100, balance: int = 1000) -> Commit:
    """ACME (Bronze, ``balance`` points in one old lot) commits the lines, redeeming ``redeem`` points."""
    order = make_order(lines=list(lines), redeem_points=redeem)
    return commit_order(PROGRAM, make_account(balance), order, {}, mint=minting("NP-1", "NP-2"))


def request(return_id: str, **quantities: int) -> ReturnRequest:
    return ReturnRequest(
        return_id=return_id, lines=[{"sku": sku.replace("_", "-"), "quantity": q} for sku, q in quantities.items()]
    )


def opening_ledger(account: Account) -> list[LedgerEntry]:
    """The opening lot as the earn entry that made it."""
    return [
        LedgerEntry(customer_id=account.customer_id, at=held.earned_at, kind="earn", points=held.points, rule="opening")
        for held in account.wallet.lots
    ]


def test_a_returned_line_reverses_every_earned_line_and_the_redemption_down_to_their_floor() -> None:
    # GIVEN 450.00 of fasteners and 200.00 of drills: base 649, fasteners 449, bulk 1000; 100 points redeemed
    commit = committed(BOLTS, DRILLS)

    # WHEN one drill (100.00 of 650.00: f = 2/13) comes back
    returned = return_lines(commit.account, commit.record, request("R1", DRILL=1), commit.issued_code)

    # THEN each line keeps floor(original x 11/13): 549, 379, 846; 84 points stay redeemed
    result = returned.result
    assert result.reversed_lines == {"base": 100, "fasteners": 70, "bulk": 154}
    assert (result.points_reversed, result.points_restored) == (324, 16)
    assert result.restored_to == {"opening": 16}
    assert result.balance == returned.account.balance == commit.account.balance - 324 + 16
    assert result.amount == Decimal("100")
    assert result.eligible_amount == Decimal("99.8462")
    assert returned.account.lifetime_spend == commit.account.lifetime_spend - Decimal("99.8462")
    assert returned.record.status == "committed"
    assert returned.revoked_code is None


def test_the_return_ledger_entries_carry_the_return_id_as_ref() -> None:
    commit = committed(BOLTS, DRILLS)

    returned = return_lines(commit.account, commit.record, request("R1", DRILL=1), commit.issued_code)

    assert {entry.ref for entry in returned.ledger} == {"R1"}
    assert {entry.kind for entry in returned.ledger} == {"reverse"}
    assert sum(entry.points for entry in returned.ledger) == -324 + 16


def test_returning_more_than_ordered_is_refused() -> None:
    commit = committed(BOLTS, DRILLS)

    with pytest.raises(ReturnExceedsOrder, match="DRILL"):
        return_lines(commit.account, commit.record, request("R1", DRILL=3), commit.issued_code)


def test_returns_add_up_against_the_ordered_quantity() -> None:
    # GIVEN one of the two drills returned
    commit = committed(BOLTS, DRILLS)
    first = return_lines(commit.account, commit.record, request("R1", DRILL=1), commit.issued_code)

    # WHEN two more are returned
    # THEN only one is left to return
    with pytest.raises(ReturnExceedsOrder, match="1 left"):
        return_lines(first.account, first.record, request("R2", DRILL=2), commit.issued_code)


def test_a_sku_the_order_does_not_hold_cannot_be_returned() -> None:
    commit = committed(BOLTS)

    with pytest.raises(ReturnExceedsOrder):
        return_lines(commit.account, commit.record, request("R1", NUT=1), commit.issued_code)


def test_a_cancelled_order_has_nothing_left_to_return() -> None:
    commit = committed(BOLTS, DRILLS)
    cancelled = cancel_order(commit.account, commit.record, commit.issued_code)

    with pytest.raises(ReturnExceedsOrder, match="cancelled"):
        return_lines(cancelled.account, cancelled.record, request("R1", DRILL=1), None)


def test_the_same_return_again_is_found_and_other_lines_under_its_id_conflict() -> None:
    commit = committed(BOLTS, DRILLS)
    returned = return_lines(commit.account, commit.record, request("R1", DRILL=1), commit.issued_code)

    assert replayed_return(returned.record, request("R1", DRILL=1)) == returned.result
    assert replayed_return(returned.record, request("R2", DRILL=1)) is None
    with pytest.raises(ReturnConflict):
        replayed_return(returned.record, request("R1", DRILL=2))


def test_a_sku_listed_twice_in_a_return_is_one_return_of_both_quantities() -> None:
    twice = ReturnRequest(return_id="R1", lines=[{"sku": "DRILL", "quantity": 1}, {"sku": "DRILL", "quantity": 1}])

    assert twice.quantities() == {"DRILL": 2}
    assert twice.fingerprint("SO-1001") == request("R1", DRILL=2).fingerprint("SO-1001")


@pytest.mark.parametrize(
    "body",
    [
        {"return_id": "R1", "lines": []},
        {"return_id": "R1", "lines": [{"sku": "DRILL", "quantity": 0}]},
        {"return_id": "R1", "lines": [{"sku": "DRILL", "quantity": "1"}]},
        {"return_id": "", "lines": [{"sku": "DRILL", "quantity": 1}]},
        {"return_id": "R1", "lines": [{"sku": "DRILL", "quantity": 1, "unit_price": "1"}]},
    ],
)
def test_a_return_request_that_is_not_well_formed_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ReturnRequest.model_validate(body)


def test_a_full_return_counts_as_a_cancel_and_revokes_the_unused_code_the_order_issued() -> None:
    # GIVEN an order that issued a next-purchase code, one drill already returned
    commit = committed(BOLTS, DRILLS)
    assert commit.issued_code is not None
    first = return_lines(commit.account, commit.record, request("R1", DRILL=1), commit.issued_code)

    # WHEN the rest comes back
    last = return_lines(first.account, first.record, request("R2", DRILL=1, BOLT_M8=1000), commit.issued_code)

    # THEN the order is cancelled with everything reversed, and its code revoked
    assert last.full
    assert last.record.status == "cancelled"
    assert last.record.points_reversed == commit.decision.points
    assert last.revoked_code == commit.issued_code.code
    assert first.result.points_reversed + last.result.points_reversed == commit.decision.points
    assert first.result.points_restored + last.result.points_restored == commit.decision.points_redeemed
    assert last.account.lifetime_spend == 0
    assert last.account.balance == 1000


def test_a_cancel_after_a_return_reverses_what_the_return_left() -> None:
    commit = committed(BOLTS, DRILLS)
    returned = return_lines(commit.account, commit.record, request("R1", DRILL=1), commit.issued_code)

    cancelled = cancel_remaining(returned.account, returned.record, commit.issued_code)

    assert cancelled.record.status == "cancelled"
    assert cancelled.record.returns == returned.record.returns
    assert cancelled.record.points_reversed == commit.decision.points - returned.result.points_reversed
    assert cancelled.account == cancel_order(commit.account, commit.record, commit.issued_code).account
    assert cancelled.revoked_code == commit.issued_code.code if commit.issued_code else None


def test_what_stands_of_a_partly_returned_order_is_its_lines_net_of_the_return() -> None:
    commit = committed(BOLTS, DRILLS)
    returned = return_lines(commit.account, commit.record, request("R1", DRILL=1), commit.issued_code)

    standing = remaining_view(returned.record)

    assert {line.rule: line.points for line in standing.decision.breakdown} == {
        "base": 549,
        "fasteners": 379,
        "bulk": 846,
    }
    assert standing.decision.points_redeemed == 84
    assert standing.eligible_amount == Decimal("549.1538")
    assert standing.items == 1001


# ---------------------------------------------------------------------------------------------- properties

PRICES = st.sampled_from(["0", "0.45", "1.99", "12.5", "100", "333.3333"])


@st.composite
def orders_and_returns(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int, list[dict[str, int]]]:
    """Lines of distinct skus, the points redeemed, and their quantities split into returns in any order."""
    count = draw(st.integers(1, 4))
    lines = [
        {"sku": f"SKU-{index}", "quantity": draw(st.integers(1, 30)), "unit_price": draw(PRICES), "category": "tools"}
        for index in range(count)
    ]
    chunks: list[tuple[str, int]] = []
    for line in lines:
        left = line["quantity"]
        while left:
            part = draw(st.integers(1, left))
            chunks.append((line["sku"], part))
            left -= part
    chunks = draw(st.permutations(chunks))
    returns: list[dict[str, int]] = []
    for sku, quantity in chunks:
        if returns and draw(st.booleans()):
            returns[-1][sku] = returns[-1].get(sku, 0) + quantity
        else:
            returns.append({sku: quantity})
    subtotal = sum(Decimal(line["unit_price"]) * line["quantity"] for line in lines)
    return lines, draw(st.integers(0, min(50, int(subtotal * 100)))), returns


@settings(max_examples=150, deadline=None)
@given(case=orders_and_returns(), spent=st.floats(0, 1))
def test_returns_in_any_steps_end_at_full_return_exactly_where_a_cancel_would(
    case: tuple[list[dict[str, Any]], int, list[dict[str, int]]], spent: float
) -> None:
    # GIVEN an order (maybe redeeming points), a share of the balance spent since, and its quantities returned in steps
    lines, redeem, returns = case
    commit = committed(*lines, redeem=redeem, balance=500)
    wallet, _ = commit.account.wallet.redeem(int(commit.account.balance * spent))
    after_spending = commit.account.model_copy(update={"wallet": wallet})
    spending = [
        LedgerEntry(
            customer_id="ACME",
            at=commit.record.placed_at,
            kind="redeem",
            points=wallet.balance - commit.account.balance,
            rule="spent",
        )
    ]
    ledger = [*opening_ledger(make_account(500)), *commit.ledger, *spending]
    account, record = after_spending, commit.record

    # WHEN every step is returned
    for number, quantities in enumerate(returns):
        returned = return_lines(
            account,
            record,
            ReturnRequest(return_id=f"R{number}", lines=[{"sku": s, "quantity": q} for s, q in quantities.items()]),
            commit.issued_code,
        )
        account, record = returned.account, returned.record
        ledger.extend(returned.ledger)
        # THEN after each the balance is the sum of the ledger
        assert account.balance == sum(entry.points for entry in ledger)
        assert len({entry.entry_id for entry in ledger}) == len(ledger)

    # THEN the last one cancelled the order, and the account is where a cancel leaves it
    cancel = cancel_order(after_spending, commit.record, commit.issued_code)
    assert record.status == "cancelled"
    assert record.points_reversed == cancel.record.points_reversed
    assert account.balance == cancel.account.balance
    assert account.buckets == cancel.account.buckets
    assert account.lifetime_spend == cancel.account.lifetime_spend
    assert account.milestones_reached == cancel.account.milestones_reached
    assert account.anniversaries_rewarded == cancel.account.anniversaries_rewarded
    assert account.wallet == cancel.account.wallet
    assert returned.revoked_code == cancel.revoked_code


@settings(max_examples=100, deadline=None)
@given(case=orders_and_returns(), stop=st.integers(0, 3))
def test_a_cancel_after_some_returns_ends_where_a_cancel_alone_would(
    case: tuple[list[dict[str, Any]], int, list[dict[str, int]]], stop: int
) -> None:
    lines, redeem, returns = case
    commit = committed(*lines, redeem=redeem, balance=500)
    ledger = [*opening_ledger(make_account(500)), *commit.ledger]
    account, record = commit.account, commit.record
    for number, quantities in enumerate(returns[: min(stop, len(returns) - 1)]):
        returned = return_lines(
            account,
            record,
            ReturnRequest(return_id=f"R{number}", lines=[{"sku": s, "quantity": q} for s, q in quantities.items()]),
            commit.issued_code,
        )
        account, record = returned.account, returned.record
        ledger.extend(returned.ledger)

    cancelled = cancel_remaining(account, record, commit.issued_code)
    ledger.extend(cancelled.ledger)

    alone = cancel_order(commit.account, commit.record, commit.issued_code)
    assert cancelled.account == alone.account
    assert cancelled.account.balance == sum(entry.points for entry in ledger)
    assert len({entry.entry_id for entry in ledger}) == len(ledger)


def test_a_backtest_replays_a_partly_returned_order_with_the_lines_left() -> None:
    commit = committed(BOLTS, DRILLS)
    returned = return_lines(commit.account, commit.record, request("R1", DRILL=2, BOLT_M8=400), commit.issued_code)

    left = remaining_order(returned.record)

    assert left is not None
    assert [(line.sku, line.quantity) for line in left.lines] == [("BOLT-M8", 600)]
    assert remaining_order(commit.record) == commit.record.order


def test_a_fully_returned_order_leaves_nothing_to_replay() -> None:
    commit = committed(DRILLS)
    returned = return_lines(commit.account, commit.record, request("R1", DRILL=2), commit.issued_code)

    assert remaining_order(returned.record) is None
