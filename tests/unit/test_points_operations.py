"""The core of adjustments and claims: lots, ledger entries, stock, and the balance as the sum of the ledger."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from loyalty.account import Account
from loyalty.adjustments import Adjustment, AdjustmentConflict, adjust, replayed
from loyalty.claims import (
    ClaimCancelled,
    ClaimConflict,
    ClaimFulfilled,
    ClaimRecord,
    ClaimRequest,
    OutOfStock,
    cancel_claim,
    claim_reward,
    fulfil_claim,
    remaining,
)
from loyalty.claims import replayed as replayed_claim
from loyalty.errors import InsufficientPoints, InvalidInput
from loyalty.ledger import LedgerEntry
from loyalty.program import Program, Reward
from loyalty.wallet import Wallet
from tests.unit.builders import at, lot, make_program, spec_document

NOW = at("2026-12-01T09:00:00Z")
PROGRAM = make_program()
TRAINING = Reward(id="training-day", name="Training day", points=300, stock=2)


def two_lots() -> Account:
    """ACME with 400 points earned on 2 November and 400 on 5 November."""
    return Account(
        customer_id="ACME",
        wallet=Wallet(
            lots=(
                lot("SO-2", 400, "2026-11-05T10:00:00Z", "2027-11-05T10:00:00Z"),
                lot("SO-1", 400, "2026-11-02T10:00:00Z", "2027-11-02T10:00:00Z"),
            )
        ),
    )


def remaining_by_lot(account: Account) -> dict[str, int]:
    return {held.lot_id: held.remaining for held in account.wallet.lots}


# ---------------------------------------------------------------------------------------------- adjustments


def test_added_points_are_a_lot_expiring_as_earned_points_do_from_the_request_time() -> None:
    made = adjust(PROGRAM, two_lots(), Adjustment(adjustment_id="A1", points=250, reason="goodwill"), at=NOW, by="ops")

    added = next(held for held in made.account.wallet.lots if held.lot_id == "adjustment#A1")
    assert (added.earned_at, added.expires_at, added.remaining) == (NOW, NOW + timedelta(days=365), 250)
    assert made.record.balance == made.account.balance == 1050
    assert made.entry == LedgerEntry(
        customer_id="ACME",
        at=NOW,
        kind="adjust",
        points=250,
        rule="adjustment",
        order_id=None,
        lot_id="adjustment#A1",
        ref="A1",
        reason="goodwill",
        by="ops",
    )


def test_added_points_first_pay_off_a_deficit() -> None:
    owing = Account(customer_id="ACME", wallet=Wallet(deficit=100))

    made = adjust(PROGRAM, owing, Adjustment(adjustment_id="A1", points=250, reason="goodwill"), at=NOW, by="ops")

    assert made.account.balance == 150
    assert made.account.wallet.deficit == 0


def test_removed_points_come_from_the_oldest_lots_first() -> None:
    made = adjust(PROGRAM, two_lots(), Adjustment(adjustment_id="A2", points=-500, reason="fix"), at=NOW, by="ops")

    assert remaining_by_lot(made.account) == {"SO-2": 300}  # SO-1, emptied, left the wallet
    assert made.record.taken_from == {"SO-1": 400, "SO-2": 100}
    assert (made.entry.points, made.entry.lot_id) == (-500, None)


def test_removing_more_than_the_balance_is_refused() -> None:
    with pytest.raises(InsufficientPoints):
        adjust(PROGRAM, two_lots(), Adjustment(adjustment_id="A3", points=-801, reason="fix"), at=NOW, by="ops")


def test_a_program_without_expiry_gives_a_lot_that_never_expires() -> None:
    program = make_program(points_expire_after_days=None)

    made = adjust(program, two_lots(), Adjustment(adjustment_id="A1", points=1, reason="r"), at=NOW, by="ops")

    assert next(held for held in made.account.wallet.lots if held.lot_id == "adjustment#A1").expires_at is None


def test_a_replay_with_the_same_payload_answers_the_record_and_another_payload_conflicts() -> None:
    request = Adjustment(adjustment_id="A1", points=250, reason="goodwill")
    record = adjust(PROGRAM, two_lots(), request, at=NOW, by="ops").record

    assert replayed(record, request) is record
    with pytest.raises(AdjustmentConflict):
        replayed(record, request.model_copy(update={"reason": "other"}))


@pytest.mark.parametrize("points", [0, 1.5, True, "10"])
def test_an_adjustment_of_no_whole_points_is_refused(points: Any) -> None:
    with pytest.raises(ValidationError):
        Adjustment.model_validate({"adjustment_id": "A", "points": points, "reason": "r"})


# ---------------------------------------------------------------------------------------------- the catalog


def catalog(rewards: list[dict[str, Any]]) -> Program:
    return Program.parse({**spec_document(), "rewards": rewards})


def test_a_program_carries_its_rewards_with_stock_null_for_unlimited() -> None:
    program = catalog([{"id": "warranty", "name": "Warranty", "points": 100, "stock": None}])

    assert program.reward("warranty") == Reward(id="warranty", name="Warranty", points=100, stock=None)
    assert program.reward("yacht") is None


@pytest.mark.parametrize(
    ("rewards", "field"),
    [
        ([{"id": "a", "name": "A", "points": 0}], "rewards.0.points"),
        ([{"id": "a", "name": "A", "points": 10, "stock": -1}], "rewards.0.stock"),
        ([{"id": "a", "name": "A", "points": 10, "stock": 1.5}], "rewards.0.stock"),
        ([{"id": "a", "name": "A", "points": 10}, {"id": "a", "name": "B", "points": 5}], "rewards.1.id"),
        ([{"id": "redeem", "name": "A", "points": 10}], "rewards.0.id"),
        ([{"id": "a", "name": "", "points": 10}], "rewards.0.name"),
        ([{"id": "a", "name": "A", "points": 10, "colour": "red"}], "rewards.0.colour"),
    ],
)
def test_a_reward_that_does_not_fit_is_refused_with_its_field(rewards: list[dict[str, Any]], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        catalog(rewards)

    assert [detail.field for detail in caught.value.details] == [field]


def test_remaining_is_the_stock_less_the_claims_not_cancelled_and_none_when_unlimited() -> None:
    assert remaining(TRAINING, 1) == 1
    assert remaining(TRAINING, 2) == 0
    assert remaining(TRAINING.model_copy(update={"stock": None}), 7) is None


# ---------------------------------------------------------------------------------------------- claims


def request(claim_id: str = "C1", reward_id: str = "training-day") -> ClaimRequest:
    return ClaimRequest(claim_id=claim_id, reward_id=reward_id, buyer_id="jane@acme.example")


def test_a_claim_takes_the_points_oldest_lot_first() -> None:
    made = claim_reward(two_lots(), TRAINING, request(), claimed=0, at=NOW)

    assert remaining_by_lot(made.account) == {"SO-1": 100, "SO-2": 400}
    assert made.record.taken_from == {"SO-1": 300}
    assert (made.record.status, made.record.balance) == ("requested", 500)
    assert (made.entry.kind, made.entry.rule, made.entry.ref, made.entry.points) == (
        "redeem",
        "training-day",
        "C1",
        -300,
    )
    assert made.entry.buyer_id == "jane@acme.example"


def test_a_claim_without_stock_left_or_points_enough_is_refused() -> None:
    with pytest.raises(OutOfStock):
        claim_reward(two_lots(), TRAINING, request(), claimed=2, at=NOW)
    with pytest.raises(InsufficientPoints):
        claim_reward(Account(customer_id="ACME"), TRAINING, request(), claimed=0, at=NOW)


def test_a_claim_replayed_for_another_reward_conflicts() -> None:
    record = claim_reward(two_lots(), TRAINING, request(), claimed=0, at=NOW).record

    assert replayed_claim(record, "ACME", request()) is record
    with pytest.raises(ClaimConflict):
        replayed_claim(record, "ACME", request(reward_id="warranty"))
    with pytest.raises(ClaimConflict):
        replayed_claim(record, "GLOBEX", request())


def test_a_cancel_gives_the_points_back_to_the_lots_they_came_from() -> None:
    made = claim_reward(two_lots(), TRAINING, request(), claimed=0, at=NOW)

    undone = cancel_claim(made.account, made.record, at=NOW + timedelta(hours=1))

    assert undone.account == two_lots()
    assert (undone.record.status, undone.record.balance_after_cancel) == ("cancelled", 800)
    assert (undone.entry.kind, undone.entry.rule, undone.entry.ref, undone.entry.points) == (
        "reverse",
        "training-day",
        "C1",
        300,
    )


def test_a_fulfilled_claim_cannot_be_cancelled_nor_a_cancelled_one_fulfilled() -> None:
    made = claim_reward(two_lots(), TRAINING, request(), claimed=0, at=NOW)
    fulfilled = fulfil_claim(made.record, at=NOW)
    cancelled = cancel_claim(made.account, made.record, at=NOW).record

    assert fulfilled.status == "fulfilled"
    assert fulfil_claim(fulfilled, at=NOW) is fulfilled
    with pytest.raises(ClaimFulfilled):
        cancel_claim(made.account, fulfilled, at=NOW)
    with pytest.raises(ClaimCancelled):
        fulfil_claim(cancelled, at=NOW)


# ---------------------------------------------------------------------------------------------- properties

Step = tuple[str, int]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("adjust"), st.integers(-2000, 2000).filter(bool)),
        st.tuples(st.just("claim"), st.integers(0, 2)),
        st.tuples(st.just("cancel"), st.integers(0, 30)),
        st.tuples(st.just("fulfil"), st.integers(0, 30)),
    ),
    max_size=30,
)
REWARDS = (
    Reward(id="small", name="Small", points=50, stock=None),
    Reward(id="big", name="Big", points=700, stock=3),
    Reward(id="mid", name="Mid", points=250, stock=1),
)


@settings(max_examples=200, deadline=None)
@given(steps=steps, opening=st.integers(0, 3000))
def test_the_balance_is_the_sum_of_the_ledger_and_no_stock_is_oversold(steps: list[Step], opening: int) -> None:
    # GIVEN an account whose opening balance is one ledger entry
    account = Account(
        customer_id="ACME",
        wallet=Wallet(lots=(lot("opening", opening, "2026-01-01T00:00:00Z"),) if opening else ()),
    )
    ledger = [opening]
    claims: list[ClaimRecord] = []
    claimed = {reward.id: 0 for reward in REWARDS}
    moment = NOW
    # WHEN any sequence of adjustments, claims, cancels and fulfilments is applied (refusals change nothing)
    for number, (kind, value) in enumerate(steps):
        moment = moment + timedelta(minutes=1)
        with contextlib.suppress(InsufficientPoints, OutOfStock, ClaimFulfilled, ClaimCancelled):
            account = _step(account, kind, value, number, moment, ledger, claims, claimed)
        # THEN after every step the balance is the ledger's sum and the lots hold it
        assert account.balance == sum(ledger)
        assert account.balance == sum(held.remaining for held in account.wallet.lots) - account.wallet.deficit
        assert all(held.remaining >= 0 for held in account.wallet.lots)
        for reward in REWARDS:
            assert reward.stock is None or claimed[reward.id] <= reward.stock


def _step(
    account: Account,
    kind: str,
    value: int,
    number: int,
    moment: datetime,
    ledger: list[int],
    claims: list[ClaimRecord],
    claimed: dict[str, int],
) -> Account:
    if kind == "adjust":
        made = adjust(
            PROGRAM, account, Adjustment(adjustment_id=f"A{number}", points=value, reason="r"), at=moment, by="t"
        )
        ledger.append(made.entry.points)
        return made.account
    if kind == "claim":
        reward = REWARDS[value]
        taken = claim_reward(account, reward, request(f"C{number}", reward.id), claimed=claimed[reward.id], at=moment)
        claimed[reward.id] += 1
        claims.append(taken.record)
        ledger.append(taken.entry.points)
        return taken.account
    if not claims:
        return account
    index = value % len(claims)
    if kind == "fulfil":
        claims[index] = fulfil_claim(claims[index], at=moment)
        return account
    if claims[index].status == "cancelled":
        return account
    undone = cancel_claim(account, claims[index], at=moment)
    claims[index] = undone.record
    claimed[undone.record.reward_id] -= 1
    ledger.append(undone.entry.points)
    return undone.account
