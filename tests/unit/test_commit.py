"""Commit and cancel: the state an order leaves, its ledger, its codes, and its exact undoing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty.account import Account
from loyalty.codes import Code, DiscountCode, ReferralCode
from loyalty.commit import cancel_order, commit_order
from loyalty.errors import CodeRejected
from loyalty.program import Program
from loyalty.scoring import score
from loyalty.tiers import window_volume
from tests.unit.builders import at, make_account, make_order, make_program, minting

BOLTS = {"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}


def test_an_account_that_buys_1000_items_reaches_silver_and_gets_5_percent_from_the_next_order(
    program: Program,
) -> None:
    # GIVEN a new account WHEN it buys 1,000 items
    first = commit_order(program, make_account(), make_order(lines=[BOLTS]), {}, mint=minting())
    # THEN it is upgraded at once, but this order had no tier discount
    assert first.decision.tier is not None
    assert (first.decision.tier.before, first.decision.tier.after) == ("Bronze", "Silver")
    assert first.decision.discounts == ()
    assert first.account.tier == "Silver"
    # AND its next order gets Silver's 5%
    second = score(program, first.account, make_order(order_id="SO-1002", placed_at="2026-11-21T09:00:00Z"), {})
    assert [(line.source, str(line.percent)) for line in second.decision.discounts] == [("tier", "5")]


def test_a_commit_writes_one_earn_entry_per_breakdown_line_and_a_lot(program: Program) -> None:
    committed = commit_order(
        program, make_account(), make_order(lines=[BOLTS], buyer_id="jane@acme.example"), {}, mint=minting()
    )

    assert [(entry.kind, entry.rule, entry.points) for entry in committed.ledger] == [
        ("earn", line.rule, line.points) for line in committed.decision.breakdown
    ]
    assert {entry.buyer_id for entry in committed.ledger} == {"jane@acme.example"}
    assert committed.decision.balance == committed.decision.points == committed.account.balance
    [lot] = committed.account.wallet.lots
    assert lot.expires_at == at("2027-11-20T10:15:00Z")


def test_redeemed_points_are_a_redeem_entry_taken_from_the_oldest_lots(program: Program) -> None:
    account = make_account(balance=500)

    committed = commit_order(program, account, make_order(redeem_points=300), {}, mint=minting())

    assert committed.ledger[0].model_dump(include={"kind", "rule", "points"}) == {
        "kind": "redeem",
        "rule": "redeem",
        "points": -300,
    }
    assert committed.record.redeemed_from == {"opening": 300}
    assert committed.account.balance == 500 - 300 + committed.decision.points


def test_a_next_purchase_code_is_issued_when_the_eligible_amount_reaches_its_minimum(program: Program) -> None:
    reaching = commit_order(
        program,
        make_account(),
        make_order(lines=[{"sku": "A", "quantity": 1, "unit_price": "500"}]),
        {},
        mint=minting("NP-NEW"),
    )
    short = commit_order(
        program,
        make_account(),
        make_order(lines=[{"sku": "A", "quantity": 1, "unit_price": "499.99"}]),
        {},
        mint=minting(),
    )

    assert reaching.decision.model_dump(mode="json")["issued_discount"] == {
        "code": "NP-NEW",
        "percent": "5",
        "expires_at": "2026-12-20T10:15:00Z",
    }
    assert reaching.issued_code is not None
    assert reaching.issued_code.customer_id == "ACME"
    assert short.decision.issued_discount is None


def test_an_excluded_account_is_issued_no_code(program: Program) -> None:
    order = make_order(lines=[{"sku": "A", "quantity": 1, "unit_price": "900"}])

    committed = commit_order(program, make_account(segment="staff"), order, {}, mint=minting())

    assert committed.issued_code is None
    assert committed.ledger == ()
    assert window_volume(program.tiers, committed.account.buckets, order.placed_at) == 1  # type: ignore[arg-type]


def test_a_commit_with_a_code_a_preview_would_reject_is_refused_with_the_reason(program: Program) -> None:
    with pytest.raises(CodeRejected) as caught:
        commit_order(program, make_account(), make_order(codes=["NOPE"]), {}, mint=minting())

    assert caught.value.code == "unknown"


def test_a_used_code_is_marked_used_by_the_order(program: Program) -> None:
    code = DiscountCode(
        code="NP-1", kind="next_purchase", customer_id="ACME", percent=Decimal(5),
        issued_at=at("2026-11-01T00:00:00Z"), expires_at=at("2026-12-01T00:00:00Z"), issued_by_order="SO-0",
    )  # fmt: skip

    committed = commit_order(program, make_account(), make_order(codes=["NP-1"]), {"NP-1": code}, mint=minting())

    assert [(used.code, used.status, used.used_by_order) for used in committed.used_codes] == [
        ("NP-1", "used", "SO-1001")
    ]


def test_a_referee_first_order_rewards_the_referrer_and_counts_the_referral() -> None:
    program = make_program(
        referral={
            "referee_discount_percent": "10",
            "referrer_reward": {"discount_percent": "5", "valid_days": 60, "points": 250},
        }
    )
    referrer = Account(customer_id="GLOBEX")
    known: dict[str, Code] = {"R9QK2M7TX": ReferralCode(code="R9QK2M7TX", customer_id="GLOBEX", referrals=3)}

    committed = commit_order(
        program, make_account(), make_order(codes=["R9QK2M7TX"]), known, mint=minting("RW-NEW"), referrer=referrer
    )

    conversion = committed.referral
    assert conversion is not None
    assert conversion.code.referrals == 4
    assert conversion.reward_code is not None
    assert (conversion.reward_code.code, conversion.reward_code.customer_id) == ("RW-NEW", "GLOBEX")
    assert conversion.reward_code.expires_at == at("2027-01-19T10:15:00Z")
    assert conversion.referrer.balance == 250
    assert [(entry.customer_id, entry.kind, entry.rule, entry.points) for entry in conversion.ledger] == [
        ("GLOBEX", "earn", "referral", 250)
    ]


def test_cancelling_reverses_every_earned_line_and_gives_redeemed_points_back(program: Program) -> None:
    account = make_account(balance=500)
    committed = commit_order(program, account, make_order(lines=[BOLTS], redeem_points=200), {}, mint=minting())

    cancelled = cancel_order(committed.account, committed.record, None)

    assert [(entry.kind, entry.rule, entry.points) for entry in cancelled.ledger] == [
        *(("reverse", line.rule, -line.points) for line in committed.decision.breakdown),
        ("reverse", "redeem", 200),
    ]
    assert cancelled.account.balance == 500
    assert cancelled.record.status == "cancelled"
    assert cancelled.record.points_reversed == committed.decision.points
    assert cancelled.account.lifetime_spend == 0
    assert window_volume(program.tiers, cancelled.account.buckets, at("2026-11-20T12:00:00Z")) == 0  # type: ignore[arg-type]


def test_cancelling_after_the_points_were_spent_leaves_a_negative_balance(program: Program) -> None:
    earned = commit_order(program, make_account(), make_order(lines=[BOLTS]), {}, mint=minting())
    spent = commit_order(
        program,
        earned.account,
        make_order(order_id="SO-1002", redeem_points=earned.decision.points),
        {},
        mint=minting(),
    )

    cancelled = cancel_order(spent.account, earned.record, None)

    assert cancelled.account.balance == spent.account.balance - earned.decision.points
    assert cancelled.account.balance < 0
    assert cancelled.account.balance == sum(
        entry.points for entry in (*earned.ledger, *spent.ledger, *cancelled.ledger)
    )


def test_cancelling_revokes_the_issued_code_only_while_unused(program: Program) -> None:
    order = make_order(lines=[{"sku": "A", "quantity": 1, "unit_price": "900"}])
    committed = commit_order(program, make_account(), order, {}, mint=minting("NP-NEW"))
    issued = committed.issued_code
    assert issued is not None

    assert cancel_order(committed.account, committed.record, issued).revoked_code == "NP-NEW"
    used = issued.model_copy(update={"status": "used"})
    assert cancel_order(committed.account, committed.record, used).revoked_code is None


def test_cancelling_keeps_the_tier_until_the_nightly_review(program: Program) -> None:
    committed = commit_order(program, make_account(), make_order(lines=[BOLTS]), {}, mint=minting())

    cancelled = cancel_order(committed.account, committed.record, None)

    assert cancelled.account.tier == "Silver"


def test_cancelling_a_milestone_order_lets_the_milestone_be_reached_again(program: Program) -> None:
    account = make_account(lifetime_spend=Decimal("99950"))
    committed = commit_order(program, account, make_order(), {}, mint=minting())
    assert "100k" in committed.account.milestones_reached

    cancelled = cancel_order(committed.account, committed.record, None)

    assert cancelled.account.milestones_reached == frozenset()
    assert cancelled.account.lifetime_spend == Decimal("99950")


def test_a_cancelled_order_cannot_be_cancelled_again_by_the_core(program: Program) -> None:
    committed = commit_order(program, make_account(), make_order(), {}, mint=minting())
    cancelled = cancel_order(committed.account, committed.record, None)

    with pytest.raises(ValueError, match="cancelled"):
        cancel_order(cancelled.account, cancelled.record, None)
