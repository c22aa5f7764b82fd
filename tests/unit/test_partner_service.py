"""Orders a partner brought, through the order service and the in-memory store: one write per account."""

from __future__ import annotations

from decimal import Decimal
from itertools import count
from typing import Any

import pytest

from loyalty.account import Account, PartnerTotals
from loyalty.codes import ReferralCode
from loyalty.errors import InvalidInput
from loyalty.program import MAX_EARNING_RULES, Program
from loyalty_service.orders import OrderService
from loyalty_service.ports import AccountRecord
from loyalty_service.programs import ProgramSource
from tests.fakes import InMemoryOrderStore, programs_in_force
from tests.unit.builders import at, make_order, make_program, spec_document

SINCE = at("2026-01-01T00:00:00Z")
NOW = at("2026-11-20T10:15:00Z")


def partner_program(**changes: Any) -> Program:
    return make_program(partners={"points_per_unit": "0.5", "counts_toward_tier": True}, **changes)


def store_with_partner(program: Program, *, codes: tuple[ReferralCode, ...] = ()) -> InMemoryOrderStore:
    partner = AccountRecord(account=Account(customer_id="DIST", partner=True), version=3)
    return InMemoryOrderStore(programs_in_force(program, since=SINCE), partner, codes=codes)


def service(store: InMemoryOrderStore) -> OrderService:
    numbers = count(1)
    return OrderService(
        store,
        ProgramSource(store.programs, clock=lambda: NOW),
        mint=lambda _kind: f"NP-{next(numbers):08d}",
        clock=lambda: NOW,
        pause=lambda _attempt: None,
    )


def test_a_commit_writes_the_partner_once_with_its_credit_and_the_cancel_takes_it_back() -> None:
    store = store_with_partner(partner_program())

    committed = service(store).commit(make_order(partner_id="DIST"))
    credited = store.accounts["DIST"]
    service(store).cancel("SO-1001")
    reversed_ = store.accounts["DIST"]

    assert committed.decision.partner is not None
    assert committed.decision.partner.points == 50
    assert (credited.version, credited.account.balance, credited.activity_since) == (4, 50, NOW)
    assert credited.account.partner_totals == PartnerTotals(orders=1, sales=Decimal(100), points=50)
    assert (reversed_.version, reversed_.account.balance, reversed_.account.partner_totals) == (5, 0, PartnerTotals())
    assert reversed_.tier_review_on == NOW.date()
    assert [(entry.customer_id, entry.kind, entry.points) for entry in store.ledger if entry.rule == "partner"] == [
        ("DIST", "earn", 50),
        ("DIST", "reverse", -50),
    ]


def test_the_preview_shows_the_credit_and_a_non_partner_is_refused() -> None:
    store = store_with_partner(partner_program())
    store.accounts["PLAIN"] = AccountRecord(account=Account(customer_id="PLAIN"), version=1)

    preview = service(store).preview(make_order(partner_id="DIST"))
    with pytest.raises(InvalidInput) as refused:
        service(store).preview(make_order(partner_id="PLAIN"))

    assert preview.partner is not None
    assert preview.partner.points == 50
    assert store.accounts["DIST"].version == 3
    assert refused.value.details[0].field == "partner_id"


def test_a_partner_that_also_referred_the_customer_gets_the_reward_and_the_credit_in_one_write() -> None:
    # GIVEN DIST's referral code rewarding 10 points, and ACME's first order, with it, brought by DIST
    referral = spec_document()["referral"]
    referral["referrer_reward"]["points"] = 10
    store = store_with_partner(
        partner_program(referral=referral), codes=(ReferralCode(code="R-DIST", customer_id="DIST", referrals=0),)
    )

    # WHEN it commits (100.00 less the referee's 10 %: 90.00 eligible)
    committed = service(store).commit(make_order(partner_id="DIST", codes=["R-DIST"]))

    # THEN DIST is written once: 10 for the referral and floor(90 x 0.5) = 45 for the sale
    dist = store.accounts["DIST"]
    assert committed.decision.partner is not None
    assert committed.decision.partner.points == 45
    assert (dist.version, dist.account.balance) == (4, 55)
    assert sorted((entry.rule, entry.points) for entry in store.ledger if entry.customer_id == "DIST") == [
        ("partner", 45),
        ("referral", 10),
    ]


def test_a_program_with_more_earning_rules_than_one_transaction_holds_is_refused() -> None:
    rules = [{"id": f"c{number}", "kind": "cart_amount_bonus", "min_amount": "1", "points": 1} for number in range(51)]
    rules.insert(10, {"id": "kit", "kind": "free_product", "min_amount": "1", "sku": "KIT"})

    with pytest.raises(InvalidInput) as refused:
        Program.parse({**spec_document(), "rules": rules})
    accepted = Program.parse({**spec_document(), "rules": rules[:51]})

    assert [detail.field for detail in refused.value.details] == [f"rules.{MAX_EARNING_RULES + 1}"]
    assert len(accepted.rules) == 51
