"""The digest's hints: how an account earns more next time, chosen from the program and the account at T."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from loyalty.account import Account
from loyalty.digest import CartHint, EventHint, Hints, MilestoneHint, build_digest
from loyalty.profile import Profile
from loyalty.wallet import Wallet
from tests.unit.builders import at, lot, make_account, make_program

SINCE = at("2026-11-18T06:00:00Z")
T = at("2026-11-21T06:00:00Z")


def hints_of(rules: list[dict[str, Any]], account: Account | None = None, **program: Any) -> Hints | None:
    """The hints of ``account`` (a plain one by default) under the SPEC program with exactly ``rules``."""
    return build_digest(
        make_program(rules=rules, **program),
        account or make_account(),
        Profile(locale="en"),
        (),
        (),
        None,
        (),
        SINCE,
        T,
    ).hints


def multiplier_event(rule_id: str, starts: str, ends: str, multiplier: str = "3") -> dict[str, Any]:
    return {"id": rule_id, "kind": "multiplier_event", "multiplier": multiplier, "starts_at": starts, "ends_at": ends}


def discount_event(rule_id: str, starts: str, ends: str, percent: str = "3") -> dict[str, Any]:
    return {"id": rule_id, "kind": "discount_event", "percent": percent, "starts_at": starts, "ends_at": ends}


def milestone(rule_id: str, spend: str, points: int) -> dict[str, Any]:
    return {"id": rule_id, "kind": "milestone_bonus", "lifetime_spend": spend, "points": points}


def events(hints: Hints | None) -> list[str]:
    return [event.rule for event in hints.events] if hints else []


# ---------------------------------------------------------------------------------------------- events


def test_an_event_starting_exactly_14_days_after_t_is_hinted_and_one_a_second_later_is_not() -> None:
    # GIVEN T = 2026-11-21 06:00 UTC, an event starting at T + 14 days and one starting a second after that
    rules = [
        multiplier_event("edge", "2026-12-05T06:00:00Z", "2026-12-08T00:00:00Z"),
        multiplier_event("later", "2026-12-05T06:00:01Z", "2026-12-08T00:00:00Z"),
    ]

    # WHEN the digest's hints are chosen at T
    hints = hints_of(rules)

    # THEN only the one at exactly 14 days is announced, as to come
    assert hints is not None
    assert hints.events == (
        EventHint(
            rule="edge",
            kind="multiplier",
            starts_at=at("2026-12-05T06:00:00Z"),
            ends_at=at("2026-12-08T00:00:00Z"),
            active=False,
            multiplier=Decimal(3),
        ),
    )


def test_an_event_that_ended_at_t_is_not_hinted_and_one_in_force_is() -> None:
    # GIVEN an event that ended exactly at T (its end is excluded) and a discount event in force at T
    rules = [
        multiplier_event("ended", "2026-11-14T00:00:00Z", "2026-11-21T06:00:00Z"),
        discount_event("december-deal", "2026-11-21T06:00:00Z", "2026-12-24T00:00:00Z", percent="2.5"),
    ]

    # WHEN the digest's hints are chosen at T
    hints = hints_of(rules)

    # THEN only the one in force is announced, with its percent
    assert hints is not None
    assert hints.events == (
        EventHint(
            rule="december-deal",
            kind="discount",
            starts_at=T,
            ends_at=at("2026-12-24T00:00:00Z"),
            active=True,
            percent=Decimal("2.5"),
        ),
    )


def test_events_are_hinted_soonest_first() -> None:
    # GIVEN, in program order, an event to come on 1 December and one already in force
    rules = [
        multiplier_event("year-end", "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z"),
        discount_event("november", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"),
    ]

    # WHEN the digest's hints are chosen at T
    # THEN the one in force comes first
    assert events(hints_of(rules)) == ["november", "year-end"]


# ---------------------------------------------------------------------------------------------- segments


INSTALLER_RULES = [
    {"id": "installers", "kind": "cart_amount_bonus", "min_amount": "2000", "points": 300, "segments": ["installer"]},
    {**discount_event("installer-week", "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z"), "segments": ["installer"]},
    {"id": "kit", "kind": "free_product", "min_amount": "5000", "sku": "SAMPLE-KIT"},
]


def test_a_rule_limited_to_a_segment_is_hinted_to_that_segment() -> None:
    # GIVEN a cart bonus and a discount event for installers, and a free product for everyone
    # WHEN the hints of an installer are chosen
    hints = hints_of(INSTALLER_RULES, make_account(segment="installer"))

    # THEN it is told of all three
    assert hints is not None
    assert events(hints) == ["installer-week"]
    assert hints.carts == (
        CartHint(rule="installers", kind="cart_amount", amount=Decimal("2000.00"), points=300),
        CartHint(rule="kit", kind="free_product", amount=Decimal("5000.00"), sku="SAMPLE-KIT"),
    )


def test_a_rule_limited_to_a_segment_is_hidden_from_other_segments_and_from_accounts_without_one() -> None:
    # GIVEN the same rules
    for account in (make_account(segment="retail"), make_account()):
        # WHEN the hints of a retail account, or of one without a segment, are chosen
        hints = hints_of(INSTALLER_RULES, account)

        # THEN only the free product for everyone is hinted
        assert hints is not None
        assert events(hints) == []
        assert [cart.rule for cart in hints.carts] == ["kit"]


def test_an_excluded_segment_earns_no_points_so_it_is_told_only_of_discounts_and_free_products() -> None:
    # GIVEN the SPEC rules plus a discount event in force, and a staff account (an excluded segment)
    rules = [
        multiplier_event("year-end", "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z"),
        discount_event("december-deal", "2026-11-21T00:00:00Z", "2026-12-24T00:00:00Z"),
        {"id": "big-cart", "kind": "cart_amount_bonus", "min_amount": "15000", "points": 5000},
        {"id": "bulk", "kind": "cart_quantity_bonus", "min_items": 500, "points": 1000},
        milestone("100k", "100000", 20000),
        {"id": "kit", "kind": "free_product", "min_amount": "5000", "sku": "SAMPLE-KIT"},
    ]

    # WHEN its hints are chosen
    hints = hints_of(rules, make_account(segment="staff"))

    # THEN neither points events, point bonuses nor milestones are hinted
    assert hints is not None
    assert events(hints) == ["december-deal"]
    assert [cart.rule for cart in hints.carts] == ["kit"]
    assert hints.milestone is None


def test_a_non_member_earns_nothing_and_gets_no_effects_so_it_is_told_only_of_discount_events() -> None:
    # GIVEN an invite-only program with the same rules, and an account that was never enrolled
    rules = [
        multiplier_event("year-end", "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z"),
        discount_event("december-deal", "2026-11-21T00:00:00Z", "2026-12-24T00:00:00Z"),
        {"id": "big-cart", "kind": "cart_amount_bonus", "min_amount": "15000", "points": 5000},
        milestone("100k", "100000", 20000),
        {"id": "kit", "kind": "free_product", "min_amount": "5000", "sku": "SAMPLE-KIT"},
    ]

    # WHEN its hints are chosen
    hints = hints_of(rules, make_account(), enrollment={"mode": "invite"})

    # THEN only the discount event is hinted: no points events, bonuses, free products or milestone
    assert hints is not None
    assert events(hints) == ["december-deal"]
    assert hints.carts == ()
    assert hints.milestone is None


# ---------------------------------------------------------------------------------------------- order sizes


def test_cart_thresholds_name_their_amount_items_and_reward_in_program_order() -> None:
    # GIVEN the SPEC's cart rules
    rules = [
        {"id": "big-cart", "kind": "cart_amount_bonus", "min_amount": "15000", "points": 5000},
        {"id": "bulk", "kind": "cart_quantity_bonus", "min_items": 500, "points": 1000},
        {"id": "kit", "kind": "free_product", "min_amount": "5000", "sku": "SAMPLE-KIT"},
    ]

    # WHEN the hints are chosen
    hints = hints_of(rules)

    # THEN each names what the order needs and what it gets
    assert hints is not None
    assert hints.carts == (
        CartHint(rule="big-cart", kind="cart_amount", amount=Decimal("15000.00"), points=5000),
        CartHint(rule="bulk", kind="cart_quantity", items=500, points=1000),
        CartHint(rule="kit", kind="free_product", amount=Decimal("5000.00"), sku="SAMPLE-KIT"),
    )


# ---------------------------------------------------------------------------------------------- milestones


def test_the_next_milestone_shows_the_spend_still_needed() -> None:
    # GIVEN milestones at 100,000 and 250,000 EUR, and 4,796.0050 EUR spent so far
    rules = [milestone("250k", "250000", 50000), milestone("100k", "100000", 20000)]
    account = make_account(lifetime_spend=Decimal("4796.0050"))

    # WHEN the hints are chosen
    hints = hints_of(rules, account)

    # THEN the lower one is hinted: 95,203.995 to go, rounded up to the cent so that it is enough
    assert hints is not None
    assert hints.milestone == MilestoneHint(
        rule="100k", lifetime_spend=Decimal("100000.00"), remaining=Decimal("95204.00"), points=20000
    )


def test_a_reached_milestone_is_not_shown_and_the_next_one_is() -> None:
    # GIVEN the 100k milestone reached (awarded), and 120,000 EUR spent
    rules = [milestone("100k", "100000", 20000), milestone("250k", "250000", 50000)]
    account = make_account(lifetime_spend=Decimal(120000), milestones_reached=frozenset({"100k"}))

    # WHEN the hints are chosen
    hints = hints_of(rules, account)

    # THEN the 250k milestone is the next one: 130,000 EUR to go
    assert hints is not None
    assert hints.milestone is not None
    assert (hints.milestone.rule, hints.milestone.remaining) == ("250k", Decimal("130000.00"))


def test_a_milestone_already_passed_or_awarded_is_not_hinted() -> None:
    # GIVEN a milestone added after the account had spent beyond it (scoring never awards it), and one awarded
    rules = [milestone("50k", "50000", 10000), milestone("100k", "100000", 20000)]
    account = make_account(lifetime_spend=Decimal(60000), milestones_reached=frozenset({"100k"}))

    # WHEN the hints are chosen
    # THEN there is no milestone to hint, and nothing else either
    assert hints_of(rules, account) is None


# ---------------------------------------------------------------------------------------------- expiring points


def test_points_expiring_within_30_days_are_hinted_with_their_total_and_first_date() -> None:
    # GIVEN lots of 200 and 300 points ending within 30 days of T, and one of 400 ending after that
    lots = (
        lot("a", 300, "2025-12-10T00:00:00Z", "2026-12-10T00:00:00Z"),
        lot("b", 200, "2025-11-30T00:00:00Z", "2026-11-30T00:00:00Z"),
        lot("c", 400, "2026-01-10T00:00:00Z", "2027-01-10T00:00:00Z"),
    )
    account = Account(customer_id="ACME", wallet=Wallet(lots=lots))

    # WHEN the digest is built
    result = build_digest(make_program(rules=[]), account, Profile(), (), (), None, (), SINCE, T)

    # THEN the hint sums the digest's own expiring points: 500, the first on 30 November
    assert result.hints is not None
    assert result.hints.expiring is not None
    assert (result.hints.expiring.points, result.hints.expiring.first_at) == (500, at("2026-11-30T00:00:00Z"))
    assert result.hints.expiring.points == result.expiring_points
    assert result.hints.expiring.until == result.expiring_until


def test_an_account_with_nothing_to_hint_has_no_hints() -> None:
    # GIVEN a program without rules and an account whose points never expire
    # WHEN the hints are chosen
    # THEN there are none at all (not an empty section)
    assert hints_of([], make_account(balance=2500)) is None


@given(offset_hours=st.integers(min_value=-30 * 24, max_value=30 * 24), length_hours=st.integers(1, 30 * 24))
def test_an_event_is_hinted_exactly_when_it_has_not_ended_and_starts_within_14_days(
    offset_hours: int, length_hours: int
) -> None:
    # GIVEN an event starting some hours before or after T, lasting some hours
    starts = T + timedelta(hours=offset_hours)
    ends = starts + timedelta(hours=length_hours)
    rules = [multiplier_event("event", starts.isoformat(), ends.isoformat())]

    # WHEN the hints are chosen at T
    hints = hints_of(rules)

    # THEN it is there exactly when it ends after T and starts at most 14 days after T, active when started
    expected = ends > T and starts <= T + timedelta(days=14)
    assert bool(events(hints)) == expected
    if expected and hints is not None:
        assert hints.events[0].active == (starts <= T)
