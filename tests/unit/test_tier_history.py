"""The tier history's entries: what an order's upgrade and a nightly review record, and why."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from loyalty.commit import commit_order
from loyalty.tier_history import deciding_threshold, review_entry
from loyalty.tiers import TierReview, VolumeBucket
from tests.unit.builders import at, make_account, make_order, make_program, minting

BOLTS = [{"sku": "BOLT-M8", "quantity": 700, "unit_price": "0.45", "category": "fasteners"}]


def test_an_order_that_lifts_the_account_records_the_volume_after_it_and_the_threshold_reached() -> None:
    # GIVEN a Bronze account with 400 items in its window
    program = make_program()
    account = make_account(tier="Bronze", buckets=(VolumeBucket(day=date(2026, 10, 1), items=400, spend=Decimal(1)),))
    # WHEN an order of 700 items takes it to 1,100
    commit = commit_order(program, account, make_order(lines=BOLTS), {}, mint=minting("NP-1"))
    # THEN its tier change is an order entry for Silver's 1,000, with the order's id and time
    change = commit.tier_change
    assert change is not None
    assert (change.before, change.after, change.reason) == ("Bronze", "Silver", "order")
    assert (change.order_id, change.at) == ("SO-1001", at("2026-11-20T10:15:00Z"))
    assert (change.basis, change.volume, change.threshold) == ("quantity", Decimal(1100), Decimal(1000))


def test_an_order_that_keeps_the_tier_records_no_change() -> None:
    commit = commit_order(make_program(), make_account(tier="Bronze"), make_order(), {}, mint=minting("NP-1"))

    assert commit.tier_change is None


def test_a_program_without_tiers_records_no_change() -> None:
    commit = commit_order(make_program(tiers=None), make_account(), make_order(lines=BOLTS), {}, mint=minting("NP-1"))

    assert commit.tier_change is None


def test_a_downgrade_names_the_threshold_the_window_no_longer_reaches() -> None:
    # GIVEN a Gold account whose window holds 1,200 items at the review
    tiers = make_program().tiers
    assert tiers is not None
    review = TierReview(before="Gold", after="Silver", volume=Decimal(1200), next_review_on=None)
    # WHEN the review's entry is made
    entry = review_entry(tiers, review, at("2027-01-10T02:00:00Z"))
    # THEN it is a review entry with Gold's 5,000: the threshold left behind
    assert (entry.reason, entry.order_id) == ("review", None)
    assert (entry.volume, entry.threshold) == (Decimal(1200), Decimal(5000))


def test_a_tier_the_program_no_longer_has_leaves_the_threshold_unknown() -> None:
    tiers = make_program().tiers
    assert tiers is not None

    assert deciding_threshold(tiers, "Platinum", "Gold") is None
