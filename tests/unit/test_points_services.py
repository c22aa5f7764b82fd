"""Adjustments and claims against in-memory stores: replays, conflicts, retries, the stock, 404s."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest

from loyalty.account import Account
from loyalty.adjustments import Adjustment, AdjustmentConflict
from loyalty.claims import ClaimConflict, ClaimFulfilled, ClaimRequest, OutOfStock, UnknownReward
from loyalty.errors import InsufficientPoints, LoyaltyError, NotFound
from loyalty.wallet import Wallet
from loyalty_api.http import STATUS_OF
from loyalty_service.adjustments import AdjustmentService, ContendedState
from loyalty_service.claims import ClaimService
from loyalty_service.ports import AccountRecord
from loyalty_service.programs import ProgramSource
from tests.fakes import programs_in_force
from tests.operation_fakes import InMemoryAdjustmentStore, InMemoryClaimStore
from tests.unit.builders import at, lot, spec_document

SINCE = at("2026-01-01T00:00:00Z")
NOW = at("2026-12-01T09:00:00Z")
REWARDS: list[dict[str, Any]] = [
    {"id": "training-day", "name": "Training day", "points": 300, "stock": 1},
    {"id": "warranty", "name": "Warranty", "points": 100},
]


def acme(points: int = 800) -> AccountRecord:
    wallet = Wallet(lots=(lot("SO-1", points, "2026-11-02T10:00:00Z", "2027-11-02T10:00:00Z"),))
    return AccountRecord(account=Account(customer_id="ACME", wallet=wallet), version=3)


def status_of(error: LoyaltyError) -> HTTPStatus:
    return next(status for kind, status in STATUS_OF if isinstance(error, kind))


# ---------------------------------------------------------------------------------------------- adjustments


def adjustments(*records: AccountRecord) -> tuple[AdjustmentService, InMemoryAdjustmentStore]:
    store = InMemoryAdjustmentStore(programs_in_force(spec_document(), since=SINCE), *records)
    service = AdjustmentService(
        store, ProgramSource(store.programs, clock=lambda: NOW), clock=lambda: NOW, pause=lambda _: None
    )
    return service, store


GOODWILL = Adjustment(adjustment_id="A1", points=250, reason="goodwill")


def test_an_adjustment_is_written_once_and_a_replay_answers_the_stored_record() -> None:
    service, store = adjustments(acme())

    made = service.adjust("ACME", GOODWILL, by="ops")
    again = service.adjust("ACME", GOODWILL, by="someone else")

    assert (made.created, again.created) == (True, False)
    assert again.record == made.record
    assert made.record.by == "ops"
    assert store.accounts["ACME"].account.balance == 1050
    assert [entry.points for entry in store.ledger] == [250]


def test_the_same_adjustment_id_with_another_payload_is_a_409() -> None:
    service, _ = adjustments(acme())
    service.adjust("ACME", GOODWILL, by="ops")

    with pytest.raises(AdjustmentConflict) as caught:
        service.adjust("ACME", GOODWILL.model_copy(update={"points": 251}), by="ops")

    assert status_of(caught.value) == HTTPStatus.CONFLICT
    assert caught.value.code == "adjustment_conflict"


def test_an_adjustment_of_an_account_never_stored_is_a_404_and_writes_nothing() -> None:
    service, store = adjustments()

    with pytest.raises(NotFound):
        service.adjust("NOBODY", GOODWILL, by="ops")

    assert store.writes == 0


def test_an_adjustment_that_lost_a_race_is_recomputed_from_a_fresh_read() -> None:
    service, store = adjustments(acme())
    store.lose(2)

    made = service.adjust("ACME", Adjustment(adjustment_id="A2", points=-300, reason="fix"), by="ops")

    assert made.created
    assert store.writes == 3
    assert store.accounts["ACME"].account.balance == 500


def test_an_account_that_keeps_changing_is_a_409_contended() -> None:
    service, store = adjustments(acme())
    store.lose(100)

    with pytest.raises(ContendedState):
        service.adjust("ACME", GOODWILL, by="ops")


def test_removing_more_than_the_balance_is_a_409_insufficient_points() -> None:
    service, store = adjustments(acme())

    with pytest.raises(InsufficientPoints):
        service.adjust("ACME", Adjustment(adjustment_id="A3", points=-801, reason="fix"), by="ops")

    assert store.writes == 0


# ---------------------------------------------------------------------------------------------- claims


def claims(*records: AccountRecord) -> tuple[ClaimService, InMemoryClaimStore]:
    store = InMemoryClaimStore(programs_in_force({**spec_document(), "rewards": REWARDS}, since=SINCE), *records)
    service = ClaimService(
        store, ProgramSource(store.programs, clock=lambda: NOW), clock=lambda: NOW, pause=lambda _: None
    )
    return service, store


def claim(claim_id: str = "C1", reward_id: str = "training-day") -> ClaimRequest:
    return ClaimRequest(claim_id=claim_id, reward_id=reward_id)


def test_the_catalog_lists_every_reward_with_the_units_left() -> None:
    service, _ = claims(acme())
    service.claim("ACME", claim())

    listed = [(entry.reward.id, entry.remaining) for entry in service.catalog()]

    assert listed == [("training-day", 0), ("warranty", None)]


def test_a_claim_is_made_once_and_a_replay_answers_it() -> None:
    service, store = claims(acme())

    made = service.claim("ACME", claim())
    again = service.claim("ACME", claim())

    assert (made.created, again.created) == (True, False)
    assert again.record == made.record
    assert store.accounts["ACME"].account.balance == 500
    assert store.claimed == {"training-day": 1}


def test_the_same_claim_id_for_another_reward_is_a_409() -> None:
    service, _ = claims(acme())
    service.claim("ACME", claim())

    with pytest.raises(ClaimConflict):
        service.claim("ACME", claim(reward_id="warranty"))


def test_the_last_unit_taken_meanwhile_is_a_409_out_of_stock() -> None:
    # GIVEN another account's claim of the last unit, written after this claim read the stock
    service, store = claims(acme(), AccountRecord(account=acme().account.model_copy(update={"customer_id": "B"})))
    store.claimed["training-day"] = 0
    original = store.save_claim

    def someone_first(*args: Any) -> None:
        store.claimed["training-day"] = 1
        original(*args)

    store.save_claim = someone_first  # type: ignore[method-assign]

    # WHEN ACME claims it THEN it is out of stock and nothing was taken
    with pytest.raises(OutOfStock) as caught:
        service.claim("ACME", claim())

    assert caught.value.code == "out_of_stock"
    assert store.accounts["ACME"].account.balance == 800


def test_an_unknown_reward_or_account_is_a_404() -> None:
    service, _ = claims(acme())

    with pytest.raises(UnknownReward) as caught:
        service.claim("ACME", claim(reward_id="yacht"))
    assert status_of(caught.value) == HTTPStatus.NOT_FOUND
    with pytest.raises(NotFound):
        service.claim("NOBODY", claim())


def test_a_cancel_gives_the_points_and_the_unit_back_and_is_idempotent() -> None:
    service, store = claims(acme())
    service.claim("ACME", claim())

    first = service.cancel("C1")
    again = service.cancel("C1")

    assert first == again
    assert first.status == "cancelled"
    assert store.accounts["ACME"].account == acme().account
    assert store.claimed == {"training-day": 0}
    assert [entry.kind for entry in store.ledger] == ["redeem", "reverse"]


def test_a_cancel_that_lost_a_race_is_retried() -> None:
    service, store = claims(acme())
    service.claim("ACME", claim())
    store.lose(1)

    assert service.cancel("C1").status == "cancelled"
    assert store.accounts["ACME"].account.balance == 800


def test_a_fulfilled_claim_cannot_be_cancelled() -> None:
    service, _ = claims(acme())
    service.claim("ACME", claim())

    assert service.fulfil("C1").status == "fulfilled"
    assert service.fulfil("C1").status == "fulfilled"
    with pytest.raises(ClaimFulfilled):
        service.cancel("C1")


def test_an_unknown_claim_is_a_404() -> None:
    service, _ = claims(acme())

    with pytest.raises(NotFound):
        service.fulfil("NOPE")
    with pytest.raises(NotFound):
        service.cancel("NOPE")


def test_claims_are_listed_newest_first_and_an_unknown_account_is_a_404() -> None:
    moments = iter([at("2026-12-01T09:00:00Z"), at("2026-12-01T10:00:00Z")])
    service, store = claims(acme())
    service = ClaimService(
        store, ProgramSource(store.programs, clock=lambda: NOW), clock=lambda: next(moments), pause=lambda _: None
    )
    service.claim("ACME", claim("C1", "warranty"))
    service.claim("ACME", claim("C2", "warranty"))

    assert [record.claim_id for record in service.claims("ACME", limit=10, cursor=None).claims] == ["C2", "C1"]
    with pytest.raises(NotFound):
        service.claims("NOBODY", limit=10, cursor=None)
