"""Partners (SPEC section 9): the credit an order gives the partner that brought it, and its reversal."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.account import Account, PartnerTotals
from loyalty.commit import Commit, OrderRecord, cancel_order, commit_order
from loyalty.errors import InvalidInput
from loyalty.ledger import LedgerEntry
from loyalty.order import Order
from loyalty.program import Program
from loyalty.returns import ReturnRequest, cancel_remaining, return_lines
from loyalty.tiers import VolumeBucket
from tests.unit.builders import at, make_account, make_order, make_program, spec_document

PARTNERS = {"points_per_unit": "0.5", "counts_toward_tier": True}


def partner_program(**partners: Any) -> Program:
    return make_program(partners={**PARTNERS, **partners})


def distributor(**changes: Any) -> Account:
    return Account(customer_id="DIST", partner=True, **changes)


def brought(**changes: Any) -> Order:
    return make_order(partner_id="DIST", **changes)


_minted = itertools.count()


def mint(_kind: str) -> str:
    """Next-purchase codes of big orders: unique, and of no interest to the partner."""
    return f"NP-{next(_minted)}"


def committed(program: Program, order: Order, partner: Account, customer: Account | None = None) -> Commit:
    return commit_order(program, customer or make_account(), order, {}, mint=mint, partner=partner)


class TestCredit:
    def test_the_partner_earns_floor_of_eligible_amount_times_points_per_unit_as_a_lot(self) -> None:
        # GIVEN a program crediting partners 0.5 a unit, and an order of 100.99 brought by DIST
        program = partner_program()
        order = brought(lines=[{"sku": "BOLT", "quantity": 1, "unit_price": "100.99"}])

        # WHEN it is committed
        commit = committed(program, order, distributor())

        # THEN DIST earns floor(100.99 x 0.5) = floor(50.495) = 50 points, in a lot expiring like any other
        assert commit.partner is not None
        partner = commit.partner.account
        assert partner.balance == 50
        (lot,) = partner.wallet.lots
        assert (lot.lot_id, lot.points, lot.expires_at) == ("SO-1001#partner", 50, at("2027-11-20T10:15:00Z"))
        assert commit.partner.ledger == (
            LedgerEntry(
                customer_id="DIST",
                at=at("2026-11-20T10:15:00Z"),
                kind="earn",
                points=50,
                rule="partner",
                order_id="SO-1001",
                lot_id="SO-1001#partner",
            ),
        )
        assert partner.partner_totals == PartnerTotals(orders=1, sales=Decimal("100.99"), points=50)
        assert commit.decision.partner is not None
        assert commit.decision.partner.model_dump() == {"partner_id": "DIST", "points": 50}
        assert commit.record.partner is not None
        assert commit.record.partner.points == 50

    def test_the_customer_earns_as_before(self) -> None:
        program = partner_program()

        with_partner = committed(program, brought(), distributor())
        without = commit_order(program, make_account(), make_order(), {}, mint=mint)

        assert with_partner.decision.points == without.decision.points == 100
        assert with_partner.account.balance == without.account.balance == 100
        assert without.decision.partner is None
        assert without.partner is None

    def test_the_volume_counts_toward_the_partners_tier_and_upgrades_it(self) -> None:
        # GIVEN DIST at Bronze with 995 items in its window
        window = (VolumeBucket(day=date(2026, 11, 1), items=995, spend=Decimal(0)),)
        partner = distributor(tier="Bronze", buckets=window)

        # WHEN an order of 5 items it brought commits
        commit = committed(partner_program(), brought(lines=[{"sku": "B", "quantity": 5, "unit_price": "20"}]), partner)

        # THEN DIST holds Silver from 1,000 items, and its tier history says why
        assert commit.partner is not None
        assert commit.partner.account.tier == "Silver"
        change = commit.partner.tier_change
        assert change is not None
        assert (change.before, change.after, change.reason, change.order_id) == ("Bronze", "Silver", "order", "SO-1001")
        assert change.volume == Decimal(1000)

    def test_without_counts_toward_tier_the_partners_volume_stays(self) -> None:
        commit = committed(partner_program(counts_toward_tier=False), brought(), distributor(tier="Bronze"))

        assert commit.partner is not None
        assert commit.partner.account.buckets == ()
        assert commit.partner.tier_change is None
        assert commit.partner.share.volume is False

    def test_a_partner_in_an_excluded_segment_earns_nothing_but_counts_the_order(self) -> None:
        commit = committed(partner_program(), brought(), distributor(segment="staff"))

        assert commit.partner is not None
        assert commit.partner.account.balance == 0
        assert commit.partner.ledger == ()
        assert commit.partner.account.partner_totals == PartnerTotals(orders=1, sales=Decimal(100), points=0)
        assert commit.decision.partner is not None
        assert commit.decision.partner.points == 0


class TestRefusals:
    def test_a_program_without_partners_refuses_partner_id_with_422(self) -> None:
        program = Program.parse(spec_document())

        with pytest.raises(InvalidInput) as refused:
            committed(program, brought(), distributor())

        assert [detail.field for detail in refused.value.details] == ["partner_id"]
        assert refused.value.details[0].type == "partners_not_offered"

    def test_an_unknown_partner_is_refused_with_422(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            commit_order(partner_program(), make_account(), brought(), {}, mint=mint, partner=None)

        assert [(detail.field, detail.type) for detail in refused.value.details] == [("partner_id", "unknown_partner")]

    def test_an_account_that_is_not_a_partner_is_refused_with_422(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            committed(partner_program(), brought(), Account(customer_id="DIST"))

        assert [(detail.field, detail.type) for detail in refused.value.details] == [("partner_id", "not_partner")]

    def test_the_customer_cannot_be_its_own_partner(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            Order.parse({**brought().model_dump(mode="json"), "partner_id": "ACME"})

        assert [detail.field for detail in refused.value.details] == ["partner_id"]


class TestReversal:
    def test_a_cancel_reverses_the_partner_credit_volume_and_totals_exactly(self) -> None:
        # GIVEN DIST credited 50 points, 1 item and 100 of sales by SO-1001
        before = distributor(tier="Bronze")
        commit = committed(partner_program(), brought(), before)
        assert commit.partner is not None

        # WHEN SO-1001 is cancelled
        cancellation = cancel_order(commit.account, commit.record, None, commit.partner.account)

        # THEN DIST is back where it was, with one reverse entry of -50
        assert cancellation.partner is not None
        after = cancellation.partner.account
        assert (after.balance, after.buckets, after.partner_totals) == (0, (), PartnerTotals())
        assert [(entry.kind, entry.points, entry.rule) for entry in cancellation.partner.ledger] == [
            ("reverse", -50, "partner")
        ]

    def test_spent_partner_points_are_taken_back_as_a_deficit(self) -> None:
        commit = committed(partner_program(), brought(), distributor())
        assert commit.partner is not None
        spent, _ = commit.partner.account.wallet.redeem(30)
        partner = commit.partner.account.model_copy(update={"wallet": spent})

        cancellation = cancel_order(commit.account, commit.record, None, partner)

        assert cancellation.partner is not None
        assert cancellation.partner.account.balance == -30
        assert cancellation.partner.account.wallet.deficit == 30

    def test_a_return_takes_back_the_credit_in_proportion_floored_like_the_orders_lines(self) -> None:
        # GIVEN an order of 3 x 33 (99.00, credit floor(49.5) = 49) brought by DIST
        order = brought(lines=[{"sku": "A", "quantity": 3, "unit_price": "33"}])
        commit = committed(partner_program(), order, distributor())
        assert commit.partner is not None

        # WHEN one of the three comes back (f = 1/3), then the other two
        first = return_lines(
            commit.account,
            commit.record,
            ReturnRequest(return_id="R1", lines=[{"sku": "A", "quantity": 1}]),  # type: ignore[list-item]
            None,
            commit.partner.account,
        )
        assert first.partner is not None
        second = return_lines(
            first.account,
            first.record,
            ReturnRequest(return_id="R2", lines=[{"sku": "A", "quantity": 2}]),  # type: ignore[list-item]
            None,
            first.partner.account,
        )

        # THEN the first leaves floor(49 x 2/3) = 32 standing (17 back), the second takes the last 32
        assert [(entry.points, entry.ref) for entry in first.partner.ledger] == [(-17, "R1")]
        assert first.partner.account.partner_totals == PartnerTotals(orders=1, sales=Decimal("66.0000"), points=32)
        assert first.result.partner_points == 17
        assert second.partner is not None
        assert [(entry.points, entry.ref) for entry in second.partner.ledger] == [(-32, "R2")]
        assert second.partner.account.balance == 0
        assert second.partner.account.partner_totals == PartnerTotals(orders=0, sales=Decimal(0), points=0)
        assert second.partner.account.buckets == ()

    def test_a_cancel_after_a_return_reverses_what_the_return_left(self) -> None:
        order = brought(lines=[{"sku": "A", "quantity": 3, "unit_price": "33"}])
        commit = committed(partner_program(), order, distributor())
        assert commit.partner is not None
        request = ReturnRequest(return_id="R1", lines=[{"sku": "A", "quantity": 1}])  # type: ignore[list-item]
        returned = return_lines(commit.account, commit.record, request, None, commit.partner.account)
        assert returned.partner is not None

        cancellation = cancel_remaining(returned.account, returned.record, None, returned.partner.account)

        assert cancellation.partner is not None
        assert [entry.points for entry in cancellation.partner.ledger] == [-32]
        assert cancellation.partner.account.balance == 0
        assert cancellation.partner.account.partner_totals.orders == 0


# ---------------------------------------------------------------------- properties

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10"), places=2)


@settings(max_examples=60, deadline=None)
@given(price=amounts, quantity=st.integers(1, 50), rate=rates, spent=st.integers(0, 100))
def test_partner_credit_is_reversed_exactly_by_a_cancel(
    price: Decimal, quantity: int, rate: Decimal, spent: int
) -> None:
    program = partner_program(points_per_unit=str(rate))
    before = distributor(tier="Bronze")
    commit = committed(program, brought(lines=[{"sku": "A", "quantity": quantity, "unit_price": str(price)}]), before)
    assert commit.partner is not None
    credited = commit.partner.account
    taken = min(spent, credited.balance)
    wallet, _ = credited.wallet.redeem(taken)

    cancellation = cancel_order(commit.account, commit.record, None, credited.model_copy(update={"wallet": wallet}))

    assert cancellation.partner is not None
    after = cancellation.partner.account
    assert after.balance == -taken
    assert (after.buckets, after.partner_totals, after.tier) == (before.buckets, before.partner_totals, "Bronze")
    assert sum(entry.points for entry in (*commit.partner.ledger, *cancellation.partner.ledger)) == 0


operations = st.lists(
    st.tuples(st.sampled_from(["order", "return", "cancel", "spend"]), st.integers(1, 9), st.integers(0, 30)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(steps=operations, rate=rates)
def test_the_partners_balance_is_the_sum_of_its_ledger_after_any_sequence(
    steps: list[tuple[str, int, int]], rate: Decimal
) -> None:
    program = partner_program(points_per_unit=str(rate))
    partner = distributor()
    customers: dict[str, Account] = {}
    records: list[OrderRecord] = []
    ledger: list[int] = []
    for number, (kind, size, index) in enumerate(steps):
        if kind == "order":
            customer_id = f"C{number}"
            order = make_order(
                order_id=f"SO-{number}",
                customer_id=customer_id,
                partner_id="DIST",
                lines=[
                    {"sku": "A", "quantity": size, "unit_price": "12.35"},
                    {"sku": "B", "quantity": 1, "unit_price": "7"},
                ],
            )
            commit = commit_order(program, Account(customer_id=customer_id), order, {}, mint=mint, partner=partner)
            assert commit.partner is not None
            partner, customers[customer_id] = commit.partner.account, commit.account
            records.append(commit.record)
            ledger += [entry.points for entry in commit.partner.ledger]
        elif kind == "spend" and partner.balance > 0:
            points = min(size * 3, partner.balance)
            partner = partner.model_copy(update={"wallet": partner.wallet.redeem(points)[0]})
            ledger.append(-points)
        elif kind in ("return", "cancel") and records:
            position = index % len(records)
            record = records[position]
            if record.status != "committed":
                continue
            customer = customers[record.customer_id]
            if kind == "cancel":
                cancellation = cancel_remaining(customer, record, None, partner)
                update, customers[record.customer_id], records[position] = (
                    cancellation.partner,
                    cancellation.account,
                    cancellation.record,
                )
            else:
                left = record.order.lines[0].quantity - sum(done.quantities.get("A", 0) for done in record.returns)  # type: ignore[union-attr]
                if left == 0:
                    continue
                request = ReturnRequest(
                    return_id=f"R{number}",
                    lines=[{"sku": "A", "quantity": min(size, left)}],  # type: ignore[list-item]
                )
                returned = return_lines(customer, record, request, None, partner)
                update, customers[record.customer_id], records[position] = (
                    returned.partner,
                    returned.account,
                    returned.record,
                )
            assert update is not None
            partner = update.account
            ledger += [entry.points for entry in update.ledger]
        assert partner.balance == sum(ledger)
        assert partner.partner_totals.points == sum(
            (record.partner.points if record.partner else 0) - sum(done.partner_points for done in record.returns)
            for record in records
            if record.status == "committed"
        )
