"""Cancels in any order of orders whose lots fed each other's redemptions: the wallet always holds the ledger."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.account import Account
from loyalty.commit import OrderRecord, cancel_order, commit_order
from loyalty.program import Program
from loyalty.wallet import Wallet
from tests.unit.builders import at, make_order, make_program

START = at("2026-01-05T09:00:00Z")


def plain_program(expire_days: int | None) -> Program:
    """One point per unit, one cent a point: no rules, tiers or codes, so the chain is all that matters."""
    return make_program(
        rules=[], tiers=None, next_purchase_discount=None, referral=None, points_expire_after_days=expire_days
    )


def assert_holds(wallet: Wallet, ledger_sum: int) -> None:
    assert wallet.balance == ledger_sum
    assert sum(lot.remaining for lot in wallet.lots) - wallet.deficit == ledger_sum
    assert all(lot.remaining > 0 for lot in wallet.lots), "a wallet keeps no emptied lot"
    assert wallet.deficit == 0 or not wallet.lots, "a deficit only with no lot held"


@settings(max_examples=150, deadline=None)
@given(data=st.data(), expire_days=st.sampled_from([None, 400]), count=st.integers(2, 7))
def test_cancels_in_any_order_keep_the_balance_the_sum_of_the_ledger(
    data: st.DataObject, expire_days: int | None, count: int
) -> None:
    # GIVEN orders each earning points, most redeeming part of what the earlier ones earned
    program = plain_program(expire_days)
    account = Account(customer_id="ACME")
    codes = itertools.count(1)
    ledger_sum = 0
    records: list[tuple[OrderRecord, Any]] = []
    for number in range(count):
        units = data.draw(st.integers(1, 3000), label=f"units {number}")
        most = min(max(account.balance, 0), units * 100)  # a point is worth 0.01: at most the subtotal
        redeem = data.draw(st.integers(0, most) | st.just(most), label=f"redeem {number}")
        order = make_order(
            order_id=f"SO-{number}",
            placed_at=(START + timedelta(days=number)).isoformat(),
            lines=[{"sku": "BOLT", "quantity": units, "unit_price": "1"}],
            redeem_points=redeem,
        )
        commit = commit_order(program, account, order, {}, mint=lambda kind: f"{kind}-{next(codes)}")
        account = commit.account
        ledger_sum += sum(entry.points for entry in commit.ledger)
        assert_holds(account.wallet, ledger_sum)
        records.append((commit.record, commit.issued_code))

    # WHEN any of them are cancelled, in any order
    cancelled = data.draw(st.permutations(records), label="cancel order")
    cancelled = cancelled[: data.draw(st.integers(1, len(cancelled)), label="how many")]
    for record, issued in cancelled:
        cancellation = cancel_order(account, record, issued)
        account = cancellation.account
        ledger_sum += sum(entry.points for entry in cancellation.ledger)

        # THEN no cancel raises, and after each the wallet holds exactly what the ledger says
        assert_holds(account.wallet, ledger_sum)

    # AND once every order is cancelled nothing is left, not even a deficit
    if len(cancelled) == len(records):
        assert ledger_sum == 0
        assert account.wallet.balance == 0
        assert account.wallet.deficit == 0
