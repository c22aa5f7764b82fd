"""Preview, commit and cancel against in-memory stores: retries, replays, the future-skew bound, version stamps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from http import HTTPStatus
from itertools import count

import pytest

from loyalty.errors import InvalidInput, NotFound, OrderConflict
from loyalty.order import Order
from loyalty.program import Program
from loyalty_api.http import STATUS_OF
from loyalty_service.orders import MAX_ATTEMPTS, ContendedState, OrderService
from loyalty_service.ports import OrderAlreadyCommitted
from loyalty_service.programs import ProgramSource
from tests.fakes import InMemoryOrderStore, programs_in_force
from tests.unit.builders import at, make_order

SINCE = at("2026-01-01T00:00:00Z")
"""Version 1 of the program has been in force since then."""
NOW = at("2026-11-20T10:15:00Z")
SKEW = timedelta(minutes=5)


class Pauses(list[int]):
    """The pause between attempts, recorded instead of slept: the attempt numbers it was called with."""

    def __call__(self, attempt: int) -> None:
        self.append(attempt)


def numbered_codes() -> Callable[[str], str]:
    numbers = count(1)
    return lambda kind: f"NP-{next(numbers):08d}"


@pytest.fixture
def store(program: Program) -> InMemoryOrderStore:
    """The SPEC program in force since January, and no account yet."""
    return InMemoryOrderStore(programs_in_force(program, since=SINCE))


@pytest.fixture
def pauses() -> Pauses:
    return Pauses()


def service(store: InMemoryOrderStore, pauses: Pauses | None = None, *, skew: timedelta | None = None) -> OrderService:
    return OrderService(
        store,
        ProgramSource(store.programs, clock=lambda: NOW),
        mint=numbered_codes(),
        max_future_skew=skew,
        clock=lambda: NOW,
        pause=pauses if pauses is not None else Pauses(),
    )


def status_of(error: Exception) -> HTTPStatus:
    return next(status for kind, status in STATUS_OF if isinstance(error, kind))


# ---------------------------------------------------------------------------------------------- commit retries


def test_a_commit_that_finds_the_account_changed_is_retried_and_succeeds(
    store: InMemoryOrderStore, pauses: Pauses
) -> None:
    # GIVEN an account that changes under the first two attempts to write the order
    store.lose_commits(2)

    # WHEN the order is committed
    committed = service(store, pauses).commit(make_order())

    # THEN the third attempt writes it, after a pause for each lost one
    assert committed.created is True
    assert store.commit_attempts == 3
    assert pauses == [0, 1]
    assert store.records["SO-1001"].decision == committed.decision
    assert store.load_account("ACME").account.balance == committed.decision.points > 0


def test_contention_after_the_last_attempt_is_a_409_contended(store: InMemoryOrderStore, pauses: Pauses) -> None:
    # GIVEN an account that changes under every attempt
    store.lose_commits(MAX_ATTEMPTS)

    # WHEN the order is committed
    with pytest.raises(ContendedState) as refused:
        service(store, pauses).commit(make_order())

    # THEN it is a 409 "contended" to retry, after every attempt was made, and nothing is written
    assert (refused.value.code, status_of(refused.value)) == ("contended", HTTPStatus.CONFLICT)
    assert store.commit_attempts == MAX_ATTEMPTS
    assert store.records == {}
    assert not store.load_account("ACME").exists


def test_a_commit_that_loses_to_the_same_request_answers_its_decision(store: InMemoryOrderStore) -> None:
    # GIVEN the same request sent twice, the other one committing first
    store.lose_commits(1, OrderAlreadyCommitted)

    # WHEN this one is committed
    committed = service(store).commit(make_order())

    # THEN it answers the decision the other one stored, as a replay
    assert committed.created is False
    assert committed.decision == store.records["SO-1001"].decision
    assert store.commit_attempts == 1


# ---------------------------------------------------------------------------------------------- replays


def test_a_replay_with_the_same_fingerprint_answers_the_stored_decision(store: InMemoryOrderStore) -> None:
    # GIVEN a committed order
    first = service(store).commit(make_order())
    account = store.load_account("ACME")

    # WHEN it is sent again, its prices written differently (the same fingerprint)
    replay = make_order(lines=[{"sku": "BOLT-M8", "quantity": 1, "unit_price": "100.00", "category": "tools"}])
    again = service(store).commit(replay)

    # THEN the stored decision is the answer and nothing is written again
    assert replay.fingerprint() == make_order().fingerprint()
    assert (again.created, again.decision) == (False, first.decision)
    assert store.commit_attempts == 1
    assert store.load_account("ACME") == account


def test_a_replay_with_a_different_payload_is_an_order_conflict(store: InMemoryOrderStore) -> None:
    # GIVEN a committed order
    service(store).commit(make_order())
    stored = store.records["SO-1001"]

    # WHEN the same order id is sent with another quantity
    changed = make_order(lines=[{"sku": "BOLT-M8", "quantity": 2, "unit_price": "100", "category": "tools"}])

    # THEN it is refused as a conflict and the stored order stays as it was
    with pytest.raises(OrderConflict):
        service(store).commit(changed)
    assert store.records["SO-1001"] == stored
    assert store.commit_attempts == 1


# ---------------------------------------------------------------------------------------------- the future-skew bound


@pytest.mark.parametrize("operation", ["preview", "commit"])
def test_a_placed_at_further_ahead_than_the_skew_is_refused(store: InMemoryOrderStore, operation: str) -> None:
    # GIVEN an order placed a second beyond the accepted clock skew
    order = make_order(placed_at=(NOW + SKEW + timedelta(seconds=1)).isoformat())

    # WHEN it is previewed or committed
    with pytest.raises(InvalidInput) as refused:
        getattr(service(store, skew=SKEW), operation)(order)

    # THEN placed_at is named as too far in the future, and nothing is written
    assert [(detail.field, detail.type) for detail in refused.value.details] == [("placed_at", "future")]
    assert store.commit_attempts == 0


def test_a_placed_at_within_the_skew_is_accepted(store: InMemoryOrderStore) -> None:
    # GIVEN an order placed exactly as far ahead as the accepted clock skew
    order = make_order(placed_at=(NOW + SKEW).isoformat())

    # WHEN it is committed
    committed = service(store, skew=SKEW).commit(order)

    # THEN it is committed like any other
    assert committed.created is True
    assert store.records["SO-1001"].placed_at == NOW + SKEW


def test_without_a_skew_bound_an_order_far_ahead_is_accepted(store: InMemoryOrderStore) -> None:
    # GIVEN no bound, and an order placed a year ahead
    order = make_order(placed_at=(NOW + timedelta(days=365)).isoformat())

    # WHEN it is committed
    # THEN it is committed
    assert service(store).commit(order).created is True


# ---------------------------------------------------------------------------------------------- program versions


@pytest.fixture
def second_version(store: InMemoryOrderStore, program: Program) -> int:
    """A version 2 in force since yesterday: what every request is now scored by."""
    return store.programs.activate(program, at=NOW - timedelta(days=1))


def test_a_preview_is_stamped_with_the_version_in_force(store: InMemoryOrderStore, second_version: int) -> None:
    # GIVEN version 2 in force
    # WHEN an order is previewed
    decision = service(store).preview(make_order())

    # THEN the decision names version 2, read with the account (the program store is not asked)
    assert decision.program_version == second_version == 2
    assert store.programs.reads["timeline"] == 0


def test_a_commit_is_stamped_with_the_version_in_force(store: InMemoryOrderStore, second_version: int) -> None:
    # GIVEN version 2 in force
    # WHEN an order is committed
    committed = service(store).commit(make_order())

    # THEN the answer and the stored record both name version 2
    assert committed.decision.program_version == second_version
    assert store.records["SO-1001"].decision.program_version == second_version


def test_a_replay_answers_the_version_that_scored_it(store: InMemoryOrderStore, program: Program) -> None:
    # GIVEN an order committed under version 1, then version 2 activated
    first = service(store).commit(make_order())
    store.programs.activate(program, at=NOW - timedelta(seconds=1))

    # WHEN the order is sent again
    again = service(store).commit(make_order())

    # THEN the answer still names version 1
    assert first.decision.program_version == again.decision.program_version == 1


# ---------------------------------------------------------------------------------------------- cancel


def committed_order(store: InMemoryOrderStore) -> Order:
    order = make_order()
    service(store).commit(order)
    return order


def test_a_cancel_reverses_the_order_once(store: InMemoryOrderStore) -> None:
    # GIVEN a committed order that earned points
    order = committed_order(store)
    earned = store.records[order.order_id].decision.points

    # WHEN it is cancelled
    cancelled = service(store).cancel(order.order_id)

    # THEN its points are reversed and the record says so
    assert (cancelled.status, cancelled.points_reversed, cancelled.balance_after_cancel) == ("cancelled", earned, 0)
    assert store.load_account("ACME").account.balance == 0
    assert store.load_account("ACME").cancels_to_tell == (order.order_id,)


def test_a_cancel_sent_again_answers_the_cancelled_record_and_writes_nothing(store: InMemoryOrderStore) -> None:
    # GIVEN a committed order, cancelled
    order = committed_order(store)
    first = service(store).cancel(order.order_id)
    account, ledger = store.load_account("ACME"), list(store.ledger)

    # WHEN the cancel is sent again
    again = service(store).cancel(order.order_id)

    # THEN it answers the same cancelled record, and the account and the ledger are as the first cancel left them
    assert again == first
    assert store.cancel_attempts == 1
    assert (store.load_account("ACME"), store.ledger) == (account, ledger)


def test_cancelling_an_order_never_committed_is_not_found(store: InMemoryOrderStore) -> None:
    # GIVEN no order
    # WHEN one is cancelled
    # THEN it is not found
    with pytest.raises(NotFound):
        service(store).cancel("SO-404")
