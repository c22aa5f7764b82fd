"""Point lots: oldest first out, expiry per lot, and a deficit only when every lot is empty."""

from __future__ import annotations

import pytest

from loyalty.errors import InsufficientPoints
from loyalty.wallet import Wallet
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
    assert remaining(after) == {"b": 50, "a": 0, "c": 300}
    assert after.balance == 350


def test_redeeming_more_than_the_balance_is_refused() -> None:
    with pytest.raises(InsufficientPoints) as caught:
        wallet().redeem(601)

    assert (caught.value.requested, caught.value.balance) == (601, 600)


def test_giving_back_returns_points_to_the_lots_they_came_from() -> None:
    after, taken = wallet().redeem(250)

    assert after.give_back(taken) == wallet()


def test_taking_back_an_order_s_points_empties_its_lot_then_claws_back_the_oldest() -> None:
    spent, _ = wallet().redeem(350)  # a: 0, b: 0, c: 250

    after = spent.take_back("b", 200)

    assert remaining(after) == {"a": 0, "b": 0, "c": 50}
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
