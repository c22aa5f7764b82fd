"""Point lots: oldest first out, expiry per lot, a deficit only with no lot, and a bounded number of lots."""

from __future__ import annotations

from datetime import timedelta

import pytest

from loyalty.errors import InsufficientPoints
from loyalty.wallet import MOST_LOTS, Lot, Wallet
from tests.unit.builders import at, lot


def wallet() -> Wallet:
    return Wallet(
        lots=(
            lot("b", 200, "2026-02-01T00:00:00Z", "2027-02-01T00:00:00Z"),
            lot("a", 100, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
            lot("c", 300, "2026-03-01T00:00:00Z", None),
        )
    )


def remaining(held: Wallet) -> dict[str, int]:
    return {item.lot_id: item.remaining for item in held.lots}


def test_redemption_takes_the_oldest_lots_first() -> None:
    after, taken = wallet().redeem(250)

    assert taken == {"a": 100, "b": 150}
    assert remaining(after) == {"b": 50, "c": 300}  # the emptied lot leaves the wallet
    assert after.balance == 350


def test_redeeming_more_than_the_balance_is_refused() -> None:
    with pytest.raises(InsufficientPoints) as caught:
        wallet().redeem(601)

    assert (caught.value.requested, caught.value.balance) == (601, 600)


def test_giving_back_returns_points_to_the_lots_they_came_from() -> None:
    before = wallet()
    after, taken = before.redeem(250)

    restored = after.give_back(taken, before.held(taken))

    assert restored.oldest_first() == before.oldest_first()  # "a", emptied and gone, is back as it was


def test_a_give_back_to_a_lot_gone_since_first_pays_what_a_cancel_left_owed() -> None:
    before = Wallet(lots=(lot("a", 100, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),))
    after, taken = before.redeem(60)  # order B spends 60 of order A's lot
    owing = after.take_back("a", 100)  # A cancelled: its 40 left go, 60 are owed
    assert (remaining(owing), owing.deficit) == ({}, 60)

    restored = owing.give_back(taken, before.held(taken))  # B cancelled: its 60 pay what is owed

    assert (remaining(restored), restored.deficit, restored.balance) == ({}, 0, 0)


def test_a_give_back_larger_than_the_deficit_restores_the_rest_to_the_lot_as_it_was() -> None:
    before = Wallet(lots=(lot("a", 100, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),), deficit=0)
    after, taken = before.redeem(100)
    owing = Wallet(lots=after.lots, deficit=30)  # a later cancel of another order left 30 owed

    restored = owing.give_back(taken, before.held(taken))

    assert restored.lots == (before.lots[0].model_copy(update={"remaining": 70}),)
    assert (restored.deficit, restored.balance) == (0, 70)


def test_giving_back_to_a_lot_neither_held_nor_drawn_is_refused() -> None:
    after, taken = wallet().redeem(250)

    with pytest.raises(ValueError, match="neither held nor drawn"):
        after.give_back(taken)


def test_taking_back_an_order_s_points_empties_its_lot_then_claws_back_the_oldest() -> None:
    spent, _ = wallet().redeem(350)  # a: 0, b: 0, c: 250

    after = spent.take_back("b", 200)

    assert remaining(after) == {"c": 50}
    assert (after.balance, after.deficit) == (50, 0)


def test_taking_back_more_than_is_held_leaves_a_deficit_that_new_points_pay_first() -> None:
    spent, _ = wallet().redeem(600)

    owing = spent.take_back("c", 300)
    assert (owing.balance, owing.deficit) == (-300, 300)

    paid = owing.earn(lot("d", 500, "2026-06-01T00:00:00Z"))
    assert (paid.balance, paid.deficit, remaining(paid)["d"]) == (200, 0, 200)


def test_expiry_takes_what_remains_of_lots_ending_at_or_before_the_moment() -> None:
    after, expired = wallet().expire(at("2027-02-01T00:00:00Z"))

    assert [(item.lot.lot_id, item.points) for item in expired] == [("a", 100), ("b", 200)]
    assert after.balance == 300


def test_expiry_of_at_most_one_lot_takes_the_oldest_and_leaves_the_other_due() -> None:
    after, expired = wallet().expire(at("2027-02-01T00:00:00Z"), most=1)

    assert [(item.lot.lot_id, item.points) for item in expired] == [("a", 100)]
    assert after.balance == 500
    assert [item.lot.lot_id for item in after.expire(at("2027-02-01T00:00:00Z"))[1]] == ["b"]


def test_expiry_one_second_early_expires_nothing_of_that_lot() -> None:
    _, expired = wallet().expire(at("2027-01-31T23:59:59Z"))

    assert [item.lot.lot_id for item in expired] == ["a"]


def test_expiring_twice_at_the_same_moment_expires_nothing_more() -> None:
    once, _ = wallet().expire(at("2027-06-01T00:00:00Z"))

    twice, expired = once.expire(at("2027-06-01T00:00:00Z"))

    assert expired == []
    assert twice == once


def test_lots_expiring_soon_are_listed_soonest_first() -> None:
    soon = wallet().expiring(at("2026-12-01T00:00:00Z"), until=at("2027-01-15T00:00:00Z"))

    assert [item.lot_id for item in soon] == ["a"]


def test_past_the_most_lots_neighbours_merge_and_no_point_lives_more_than_a_day_longer() -> None:
    # GIVEN an account that earns every day for longer than the wallet holds lots, and never spends
    first = at("2026-01-01T09:00:00Z")
    earned = [
        Lot.earned(f"SO-{day:04d}", f"SO-{day:04d}", first + timedelta(days=day), 10, 730)
        for day in range(MOST_LOTS + 100)
    ]
    held = Wallet()
    for each in earned:
        held = held.earn(each)

    # THEN it holds MOST_LOTS lots and every point: the 200 oldest paired, each pair ending with its younger
    oldest = held.oldest_first()
    assert len(oldest) == MOST_LOTS
    assert held.balance == 10 * len(earned)
    pairs = [
        older.model_copy(update={"points": 20, "remaining": 20, "expires_at": younger.expires_at})
        for older, younger in zip(earned[0:200:2], earned[1:200:2], strict=True)
    ]
    assert oldest == [*pairs, *earned[200:]]


def test_a_lot_that_never_ends_keeps_never_ending_when_merged() -> None:
    held = Wallet()
    for day in range(MOST_LOTS + 1):
        ends = None if day == 0 else 365
        held = held.earn(
            Lot.earned(f"SO-{day:04d}", f"SO-{day:04d}", at("2026-01-01T00:00:00Z") + timedelta(days=day), 5, ends)
        )

    assert held.oldest_first()[0].expires_at is None
    assert held.balance == 5 * (MOST_LOTS + 1)
