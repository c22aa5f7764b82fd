"""Tier windows: what counts when, the nightly review, and when an account is next due."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from loyalty.account import Account
from loyalty.program import Program, Tiers
from loyalty.tiers import (
    VolumeBucket,
    add_volume,
    in_window,
    progress,
    prune,
    remove_volume,
    review,
    start_of,
    window_start,
    window_volume,
)
from tests.unit.builders import at, make_program


def tiers(program: Program) -> Tiers:
    assert program.tiers is not None
    return program.tiers


def bucket(day: str, items: int, spend: str = "0") -> VolumeBucket:
    return VolumeBucket(day=date.fromisoformat(day), items=items, spend=Decimal(spend))


def test_an_order_counts_for_window_days_and_leaves_at_the_start_of_the_next_day(program: Program) -> None:
    history = (bucket("2026-01-10", 1200),)

    assert window_volume(tiers(program), history, at("2027-01-09T23:59:59Z")) == 1200
    assert window_volume(tiers(program), history, at("2027-01-10T00:00:00Z")) == 0


def test_the_spend_basis_counts_eligible_spend() -> None:
    program = make_program(tiers={"basis": "spend", "window_days": 30, "levels": [{"name": "A", "threshold": 0}]})

    volume = window_volume(tiers(program), (bucket("2026-11-01", 5, "120.50"),), at("2026-11-02T00:00:00Z"))

    assert volume == Decimal("120.50")


def test_an_account_whose_volume_leaves_the_window_is_downgraded_that_night_not_the_night_before(
    program: Program,
) -> None:
    history = (bucket("2026-01-10", 1200), bucket("2026-06-01", 300))

    night_before = review(tiers(program), "Silver", history, at("2027-01-09T02:00:00Z"))
    that_night = review(tiers(program), "Silver", history, at("2027-01-10T02:00:00Z"))

    assert (night_before.before, night_before.after) == ("Silver", "Silver")
    assert (that_night.before, that_night.after, that_night.changed) == ("Silver", "Bronze", True)


def test_the_review_is_due_on_the_day_the_level_stops_being_reached(program: Program) -> None:
    history = (bucket("2026-01-10", 600), bucket("2026-03-01", 600), bucket("2026-06-01", 600))

    evaluated = review(tiers(program), "Silver", history, at("2026-06-02T02:00:00Z"))

    # 1800 now; without 10 Jan it is 1200 (still Silver); without 1 Mar too it is 600
    assert evaluated.next_review_on == date(2027, 3, 1)


def test_the_lowest_level_is_never_due_for_review(program: Program) -> None:
    assert (
        review(tiers(program), "Bronze", (bucket("2026-01-10", 10),), at("2026-02-01T00:00:00Z")).next_review_on is None
    )


def test_the_review_upgrades_too(program: Program) -> None:
    evaluated = review(tiers(program), "Bronze", (bucket("2026-01-10", 6000),), at("2026-02-01T00:00:00Z"))

    assert evaluated.after == "Gold"


def test_a_tier_the_program_no_longer_has_is_read_from_the_volume(program: Program) -> None:
    evaluated = review(tiers(program), "Platinum", (bucket("2026-01-10", 1500),), at("2026-02-01T00:00:00Z"))

    assert (evaluated.before, evaluated.after) == ("Silver", "Silver")


def test_progress_names_the_next_tier_and_what_remains(program: Program) -> None:
    shown = progress(tiers(program), "Silver", (bucket("2026-11-02", 1010),), at("2026-11-20T00:00:00Z"))

    assert (shown.basis, shown.volume, shown.next_tier, shown.remaining) == ("quantity", 1010, "Gold", 3990)


def test_progress_at_the_top_tier_has_no_next_tier(program: Program) -> None:
    shown = progress(tiers(program), "Gold", (bucket("2026-11-02", 6000),), at("2026-11-20T00:00:00Z"))

    assert (shown.next_tier, shown.remaining) == (None, None)


def test_volume_added_then_removed_leaves_no_bucket() -> None:
    added = add_volume((), date(2026, 11, 20), 10, Decimal("4.5"))

    assert remove_volume(added, date(2026, 11, 20), 10, Decimal("4.5")) == ()


def test_pruning_drops_only_buckets_that_left_the_window_for_good() -> None:
    history = (bucket("2025-11-19", 1), bucket("2025-11-20", 2))

    assert prune(history, at("2026-11-19T12:00:00Z"), 365) == (bucket("2025-11-20", 2),)


def test_an_account_keeps_its_buckets_in_day_order_one_per_day_however_they_were_given() -> None:
    given = (bucket("2026-03-02", 1, "10"), bucket("2026-01-05", 2, "4.5"), bucket("2026-03-02", 3, "0.25"))

    account = Account(customer_id="ACME", buckets=given)

    assert account.buckets == (
        bucket("2026-01-05", 2, "4.5"),
        VolumeBucket(day=date(2026, 3, 2), items=4, spend=Decimal("10.25"), orders=0),
    )


@given(
    days=st.lists(st.integers(0, 800), max_size=30),
    moment=st.integers(0, 900),
    window_days=st.integers(1, 400),
)
def test_the_window_of_buckets_in_day_order_holds_exactly_the_days_it_counts(
    days: list[int], moment: int, window_days: int
) -> None:
    start = date(2025, 1, 1)
    account = Account(
        customer_id="ACME",
        buckets=[VolumeBucket(day=start + timedelta(days=day), items=1, spend=Decimal(1)) for day in days],
    )
    program = make_program(
        tiers={"basis": "quantity", "window_days": window_days, "levels": [{"name": "A", "threshold": 0}]}
    )
    now = start_of(start + timedelta(days=moment)) + timedelta(hours=12)

    counted = sum(
        1
        for day in days
        if in_window(VolumeBucket(day=start + timedelta(days=day), items=1, spend=Decimal(1)), now, window_days)
    )

    assert window_volume(tiers(program), account.buckets, now) == counted
    kept = prune(account.buckets, now, window_days)
    assert window_volume(tiers(program), kept, now) == counted
    assert all(bucket.day >= window_start(now, window_days) for bucket in kept)
