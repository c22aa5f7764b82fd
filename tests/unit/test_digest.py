"""The digest's content: what one account's email shows, computed from the data the job gathers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from loyalty.account import Account
from loyalty.codes import DiscountCode
from loyalty.digest import Digest, TierChangeRecord, build_digest
from loyalty.ledger import EntryKind, LedgerEntry
from loyalty.profile import Profile
from loyalty.program import Program
from loyalty.tiers import VolumeBucket
from loyalty.wallet import Wallet
from tests.unit.builders import at, lot, make_account, make_program

SINCE = at("2026-11-18T06:00:00Z")
T = at("2026-11-21T06:00:00Z")


def entry(
    order_id: str | None, rule: str | None, points: int, *, kind: EntryKind = "earn", when: str = "2026-11-20T10:15:00Z"
) -> LedgerEntry:
    return LedgerEntry(customer_id="ACME", at=at(when), kind=kind, points=points, rule=rule, order_id=order_id)


def code(
    name: str, expires: str, *, percent: str = "5", issued: str = "2026-11-20T10:15:00Z", **changes: Any
) -> DiscountCode:
    return DiscountCode(
        code=name,
        kind=changes.pop("kind", "next_purchase"),
        customer_id="ACME",
        percent=Decimal(percent),
        issued_at=at(issued),
        expires_at=at(expires),
        issued_by_order="SO-1",
        **changes,
    )


def items_bought(items: int, on: str = "2026-11-20") -> tuple[VolumeBucket, ...]:
    return (VolumeBucket(day=date.fromisoformat(on), items=items, spend=Decimal(0)),)


def digest(
    program: Program,
    account: Account | None = None,
    *,
    entries: tuple[LedgerEntry, ...] = (),
    codes: tuple[DiscountCode, ...] = (),
    referral: tuple[str, int] | None = None,
    tier_changes: tuple[TierChangeRecord, ...] = (),
) -> Digest:
    return build_digest(
        program,
        account or make_account(),
        Profile(name="Acme Industrial Supply", locale="de-DE"),
        entries,
        codes,
        referral,
        tier_changes,
        SINCE,
        T,
    )


# ---------------------------------------------------------------------------------------------- balance and tier


def test_the_balance_is_the_accounts_and_its_value_is_balance_times_point_value(program: Program) -> None:
    # GIVEN an account holding 2,125 points under a program whose point is worth 0.01 EUR
    account = make_account(balance=2125)

    # WHEN its digest is built
    result = digest(program, account)

    # THEN it shows the exact balance, its value and the currency
    assert (result.balance, result.balance_value, result.currency) == (2125, Decimal("21.25"), "EUR")
    assert result.point_value == Decimal("0.01")


def test_a_negative_balance_is_shown_as_it_is_but_worth_nothing(program: Program) -> None:
    # GIVEN an account whose cancelled order took back points it had already spent
    account = Account(customer_id="ACME", wallet=Wallet(deficit=150))

    # WHEN its digest is built
    result = digest(program, account)

    # THEN the balance is negative and its value zero
    assert (result.balance, result.balance_value) == (-150, Decimal("0.00"))


def test_the_tier_shows_how_many_items_reach_the_next_one(program: Program) -> None:
    # GIVEN a Silver account with 1,010 items in its window (Gold at 5,000)
    account = make_account(tier="Silver", buckets=items_bought(1010))

    # WHEN its digest is built
    tier = digest(program, account).tier

    # THEN it names the tier, its benefits and the 3,990 items still needed for Gold
    assert tier is not None
    assert (tier.name, tier.basis, tier.volume, tier.next_tier, tier.remaining) == (
        "Silver",
        "quantity",
        Decimal(1010),
        "Gold",
        Decimal(3990),
    )
    assert (tier.discount_percent, tier.points_multiplier, tier.window_days) == (Decimal(5), Decimal("1.25"), 365)
    assert tier.progress_percent == 0  # 10 of the 4,000 items between Silver and Gold


def test_volume_that_has_left_the_window_at_the_digest_time_no_longer_counts(program: Program) -> None:
    # GIVEN 800 items bought 365 days before the digest's UTC day, and 300 bought since
    account = make_account(buckets=(*items_bought(800, "2025-11-21"), *items_bought(300, "2026-11-01")))

    # WHEN the digest is built at T
    tier = digest(program, account).tier

    # THEN only the 300 count: 700 more reach Silver, 30 % of the way there
    assert tier is not None
    assert (tier.name, tier.volume, tier.remaining, tier.progress_percent) == ("Bronze", 300, 700, 30)


def test_the_highest_tier_has_nothing_left_to_reach(program: Program) -> None:
    # GIVEN a Gold account
    account = make_account(tier="Gold", buckets=items_bought(6000))

    # WHEN its digest is built
    tier = digest(program, account).tier

    # THEN no next tier is named and the bar is full
    assert tier is not None
    assert (tier.next_tier, tier.remaining, tier.progress_percent) == (None, None, 100)
    assert (tier.free_shipping, tier.bonus_points_per_order) == (True, 100)


def test_on_a_spend_basis_the_distance_to_the_next_tier_is_an_amount() -> None:
    # GIVEN a program whose tiers count spend, and an account that spent 1,250.50 in its window
    program = make_program(
        tiers={
            "basis": "spend",
            "window_days": 90,
            "levels": [{"name": "Member", "threshold": 0}, {"name": "Partner", "threshold": "5000"}],
        }
    )
    buckets = (VolumeBucket(day=date(2026, 11, 1), items=3, spend=Decimal("1250.50")),)

    # WHEN the digest is built
    tier = digest(program, make_account(buckets=buckets)).tier

    # THEN 3,749.50 of spend is still needed for Partner
    assert tier is not None
    assert (tier.basis, tier.remaining, tier.next_tier, tier.progress_percent) == (
        "spend",
        Decimal("3749.50"),
        "Partner",
        25,
    )


def test_a_program_without_tiers_shows_no_tier() -> None:
    # GIVEN a program without tiers
    program = make_program(tiers=None)

    # WHEN a digest is built
    result = digest(program, make_account(balance=10))

    # THEN there is no tier section
    assert result.tier is None


# ---------------------------------------------------------------------------------------------- expiring points


def test_points_expiring_within_30_days_are_announced_up_to_and_including_the_30th_day(program: Program) -> None:
    # GIVEN lots ending at T, one second later, exactly 30 days later, and one second after that
    lots = (
        lot("now", 100, "2025-11-21T06:00:00Z", "2026-11-21T06:00:00Z"),
        lot("soon", 200, "2025-11-21T06:00:01Z", "2026-11-21T06:00:01Z"),
        lot("edge", 300, "2025-12-21T06:00:00Z", "2026-12-21T06:00:00Z"),
        lot("later", 400, "2025-12-21T06:00:01Z", "2026-12-21T06:00:01Z"),
    )
    account = Account(customer_id="ACME", wallet=Wallet(lots=lots))

    # WHEN the digest is built at T
    result = digest(program, account)

    # THEN the lots ending after T and at or before T + 30 days are listed, soonest first
    assert [(item.points, item.expires_at) for item in result.expiring] == [
        (200, at("2026-11-21T06:00:01Z")),
        (300, at("2026-12-21T06:00:00Z")),
    ]
    assert result.expiring_points == 500
    assert result.expiring_until == T + timedelta(days=30)


def test_only_what_remains_of_a_lot_is_announced_as_expiring(program: Program) -> None:
    # GIVEN a lot of 1,000 points of which 400 were redeemed, ending in ten days
    account = Account(
        customer_id="ACME", wallet=Wallet(lots=(lot("a", 1000, "2025-12-01T00:00:00Z", "2026-12-01T00:00:00Z", 600),))
    )

    # WHEN the digest is built
    result = digest(program, account)

    # THEN 600 points are expiring
    assert [item.points for item in result.expiring] == [600]


# ---------------------------------------------------------------------------------------------- codes and referral


def test_active_codes_are_listed_with_percent_and_expiry_soonest_first(program: Program) -> None:
    # GIVEN two active codes, given in the wrong order
    codes = (
        code("RR-LATER", "2027-01-19T11:00:00Z", kind="referral_reward", percent="12.5"),
        code("NP-SOONER", "2026-12-20T15:40:00Z"),
    )

    # WHEN the digest is built
    listed = digest(program, codes=codes).codes

    # THEN both are listed, the one ending first at the top
    assert [(item.code, item.kind, item.percent, item.expires_at) for item in listed] == [
        ("NP-SOONER", "next_purchase", Decimal(5), at("2026-12-20T15:40:00Z")),
        ("RR-LATER", "referral_reward", Decimal("12.5"), at("2027-01-19T11:00:00Z")),
    ]


def test_codes_that_cannot_be_used_at_the_digest_time_are_left_out(program: Program) -> None:
    # GIVEN a code that ended at T (the expiry job has not closed it yet), a used one and a revoked one
    codes = (
        code("NP-ENDED", "2026-11-21T06:00:00Z"),
        code("NP-USED", "2026-12-20T00:00:00Z", status="used", used_by_order="SO-2"),
        code("NP-REVOKED", "2026-12-20T00:00:00Z", status="revoked"),
        code("NP-GOOD", "2026-12-20T00:00:00Z"),
    )

    # WHEN the digest is built
    listed = digest(program, codes=codes).codes

    # THEN only the usable one is listed
    assert [item.code for item in listed] == ["NP-GOOD"]


def test_a_code_issued_since_the_previous_digest_is_marked_new(program: Program) -> None:
    # GIVEN one code issued before the previous digest and one after it
    codes = (
        code("NP-OLD", "2026-12-01T00:00:00Z", issued="2026-11-01T00:00:00Z"),
        code("NP-NEW", "2026-12-20T00:00:00Z", issued="2026-11-20T00:00:00Z"),
    )

    # WHEN the digest is built
    listed = digest(program, codes=codes).codes

    # THEN only the later one is new
    assert [(item.code, item.new) for item in listed] == [("NP-OLD", False), ("NP-NEW", True)]


def test_the_referral_code_is_shown_with_its_count_and_the_programs_offer(program: Program) -> None:
    # GIVEN an account with a referral code used by three businesses
    # WHEN its digest is built
    referral = digest(program, referral=("R9QK2M7TX", 3)).referral

    # THEN the code, the count and what referee and referrer get are shown
    assert referral is not None
    assert (referral.code, referral.referrals, referral.referee_discount_percent, referral.reward_percent) == (
        "R9QK2M7TX",
        3,
        Decimal(10),
        Decimal(5),
    )
    assert (referral.reward_points, referral.max_referrals) == (0, 50)


def test_no_referral_is_shown_when_the_program_has_no_referrals() -> None:
    # GIVEN a program without referrals and an account that still holds a code
    program = make_program(referral=None)

    # WHEN its digest is built
    result = digest(program, referral=("R9QK2M7TX", 3))

    # THEN the referral section is left out
    assert result.referral is None


# ---------------------------------------------------------------------------------------------- orders in plain words


def test_every_rule_of_an_order_is_described_in_plain_words_in_scoring_order(program: Program) -> None:
    # GIVEN the ledger lines of an order during the year-end event, in no particular order
    rules = [
        ("100k", 20000),
        ("tier_bonus", 100),
        ("bulk", 1000),
        ("year-end", 900),
        ("base", 300),
        ("anniversary", 1000),
        ("tier", 225),
        ("fasteners", 150),
        ("big-cart", 5000),
    ]
    entries = tuple(entry("SO-7", rule, points, when="2026-11-20T10:15:00Z") for rule, points in rules)
    account = make_account(tier="Gold", buckets=items_bought(6000))

    # WHEN the digest is built
    (order,) = digest(program, account, entries=entries).orders

    # THEN each line says why, in the order the engine scores them
    assert [(line.reason.text, line.points) for line in order.lines] == [
        ("points on your purchase", 300),
        ("extra points on fasteners", 150),
        ("Gold tier bonus", 225),
        ("3x event", 900),
        ("bonus for orders over 15,000.00 EUR", 5000),
        ("bonus for 500 items or more", 1000),
        ("Gold bonus per order", 100),
        ("milestone bonus: 100,000.00 EUR in purchases", 20000),
        ("anniversary bonus", 1000),
    ]
    assert (order.order_id, order.placed_at, order.earned, order.points, order.cancelled) == (
        "SO-7",
        at("2026-11-20T10:15:00Z"),
        28675,
        28675,
        False,
    )


def test_a_line_carries_the_facts_a_translation_needs(program: Program) -> None:
    # GIVEN a cart bonus, a category multiplier and an event line
    entries = (entry("SO-7", "big-cart", 5000), entry("SO-7", "fasteners", 10), entry("SO-7", "year-end", 20))

    # WHEN the digest is built
    (order,) = digest(program, entries=entries).orders

    # THEN the amount, category and multiplier are there as data
    facts = {line.reason.kind: line.reason for line in order.lines}
    assert facts["cart_amount"].amount == Decimal("15000.00")
    assert facts["category"].category == "fasteners"
    assert facts["event"].multiplier == Decimal(3)


def test_the_tier_named_in_a_tier_bonus_is_the_one_held_when_the_order_was_placed(program: Program) -> None:
    # GIVEN an order scored as Silver that lifted the account to Gold, and a later order scored as Gold
    entries = (
        entry("SO-1", "tier", 50, when="2026-11-19T09:00:00Z"),
        entry("SO-2", "tier", 80, when="2026-11-20T12:00:00Z"),
    )
    upgrade = TierChangeRecord(before="Silver", after="Gold", at=at("2026-11-19T09:00:00Z"), why="upgrade on order")
    account = make_account(tier="Gold", buckets=items_bought(6000))

    # WHEN the digest is built
    orders = digest(program, account, entries=entries, tier_changes=(upgrade,)).orders

    # THEN the first order's bonus is Silver's, the second's Gold's
    assert [order.lines[0].reason.text for order in orders] == ["Silver tier bonus", "Gold tier bonus"]


def test_redeemed_points_are_listed_with_their_order(program: Program) -> None:
    # GIVEN an order that redeemed 400 points and earned 1,000
    entries = (entry("SO-3", "redeem", -400, kind="redeem"), entry("SO-3", "base", 1000))

    # WHEN the digest is built
    (order,) = digest(program, entries=entries).orders

    # THEN the redemption is a line of its own, after the earned points
    assert [(line.reason.kind, line.reason.text, line.points) for line in order.lines] == [
        ("base", "points on your purchase", 1000),
        ("redeemed", "points redeemed", -400),
    ]
    assert (order.earned, order.points) == (1000, 600)


def test_a_cancelled_order_lists_what_it_earned_and_what_the_cancellation_took_back(program: Program) -> None:
    # GIVEN an order that earned 600 + 1,000 and redeemed 200, then was cancelled
    entries = (
        entry("SO-4", "base", 600),
        entry("SO-4", "anniversary", 1000),
        entry("SO-4", "redeem", -200, kind="redeem"),
        entry("SO-4", "base", -600, kind="reverse"),
        entry("SO-4", "anniversary", -1000, kind="reverse"),
        entry("SO-4", "redeem", 200, kind="reverse"),
    )

    # WHEN the digest is built
    (order,) = digest(program, entries=entries).orders

    # THEN it is marked cancelled and nets to zero
    assert [(line.reason.text, line.points) for line in order.lines] == [
        ("points on your purchase", 600),
        ("anniversary bonus", 1000),
        ("points redeemed", -200),
        ("order cancelled", -1600),
        ("redeemed points returned (order cancelled)", 200),
    ]
    assert (order.cancelled, order.points) == (True, 0)


def test_expiries_and_referral_rewards_are_listed_apart_from_the_accounts_orders(program: Program) -> None:
    # GIVEN an expiry of an old order's lot and a referral reward earned on another company's order
    entries = (
        entry("SO-0901", "expiry", -600, kind="expire", when="2026-11-19T08:30:00Z"),
        entry("BT-1", "referral", 250, when="2026-11-20T11:00:00Z"),
    )

    # WHEN the digest is built
    result = digest(program, entries=entries)

    # THEN neither is shown as an order of the account
    assert result.orders == ()
    assert [(line.reason.text, line.points, line.at) for line in result.other_activity] == [
        ("points expired", -600, at("2026-11-19T08:30:00Z")),
        ("referral reward", 250, at("2026-11-20T11:00:00Z")),
    ]
    assert (result.points_earned, result.points_change) == (250, -350)


def test_a_rule_no_longer_in_the_program_is_still_described(program: Program) -> None:
    # GIVEN a ledger line from a rule a later program version removed
    # WHEN the digest is built
    (order,) = digest(program, entries=(entry("SO-5", "summer-2025", 75),)).orders

    # THEN it is called bonus points, naming the rule
    assert order.lines[0].reason.text == "bonus points (summer-2025)"


def test_orders_are_listed_oldest_first(program: Program) -> None:
    # GIVEN entries of three orders, newest first as the ledger reads them
    entries = (
        entry("SO-3", "base", 3, when="2026-11-20T15:00:00Z"),
        entry("SO-1", "base", 1, when="2026-11-19T09:00:00Z"),
        entry("SO-2", "base", 2, when="2026-11-20T10:00:00Z"),
    )

    # WHEN the digest is built
    orders = digest(program, entries=entries).orders

    # THEN they are in the order they were placed
    assert [order.order_id for order in orders] == ["SO-1", "SO-2", "SO-3"]


@given(st.permutations(range(6)))
def test_the_digest_does_not_depend_on_the_order_entries_are_given_in(order: list[int]) -> None:
    # GIVEN the same entries in any order
    program = make_program()
    entries = (
        entry("SO-1", "base", 100, when="2026-11-19T09:00:00Z"),
        entry("SO-1", "bulk", 1000, when="2026-11-19T09:00:00Z"),
        entry("SO-1", "base", -100, kind="reverse", when="2026-11-19T09:00:00Z"),
        entry("SO-1", "bulk", -1000, kind="reverse", when="2026-11-19T09:00:00Z"),
        entry("SO-2", "base", 450, when="2026-11-20T10:15:00Z"),
        entry("SO-0", "expiry", -30, kind="expire", when="2026-11-19T08:00:00Z"),
    )

    # WHEN the digest is built
    shuffled = digest(program, entries=tuple(entries[index] for index in order))

    # THEN it is the digest of the entries in their original order
    assert shuffled == digest(program, entries=entries)


# ---------------------------------------------------------------------------------------------- tier changes, activity


def test_a_downgrade_names_the_threshold_the_window_missed(program: Program) -> None:
    # GIVEN the nightly review moved the account from Silver down to Bronze
    change = TierChangeRecord(
        before="Silver",
        after="Bronze",
        at=at("2026-11-20T02:00:00Z"),
        why="nightly review: window volume 800 below threshold 1000",
    )

    # WHEN the digest is built
    (line,) = digest(program, tier_changes=(change,)).tier_changes

    # THEN it is a step down, below Silver's 1,000 items over 365 days
    assert (line.direction, line.threshold, line.basis, line.window_days) == ("down", Decimal(1000), "quantity", 365)
    assert line.why == "nightly review: window volume 800 below threshold 1000"


def test_an_upgrade_names_the_threshold_reached(program: Program) -> None:
    # GIVEN an order lifted the account from Silver to Gold
    change = TierChangeRecord(before="Silver", after="Gold", at=at("2026-11-20T10:15:00Z"), why="upgrade on order")

    # WHEN the digest is built
    (line,) = digest(program, tier_changes=(change,)).tier_changes

    # THEN it is a step up, to Gold's 5,000 items
    assert (line.direction, line.threshold) == ("up", Decimal(5000))


def test_there_is_no_activity_without_entries_tier_changes_or_new_codes(program: Program) -> None:
    # GIVEN an account with a balance and an old code, but nothing new since the previous digest
    old_code = code("NP-OLD", "2026-12-01T00:00:00Z", issued="2026-11-01T00:00:00Z")

    # WHEN its digest is built
    result = digest(program, make_account(balance=500), codes=(old_code,))

    # THEN there is nothing to tell
    assert result.has_activity is False
    assert (result.orders, result.other_activity, result.tier_changes) == ((), (), ())


def test_a_tier_change_alone_is_activity(program: Program) -> None:
    # GIVEN only a downgrade since the previous digest
    change = TierChangeRecord(before="Silver", after="Bronze", at=at("2026-11-20T02:00:00Z"), why="nightly review")

    # WHEN the digest is built
    # THEN it is worth an email
    assert digest(program, tier_changes=(change,)).has_activity is True


def test_a_new_code_alone_is_activity(program: Program) -> None:
    # GIVEN a referral reward code issued since the previous digest (its reward carries no points)
    reward = code("RR-1", "2027-01-19T00:00:00Z", kind="referral_reward", issued="2026-11-20T11:00:00Z")

    # WHEN the digest is built
    # THEN it is worth an email
    assert digest(program, codes=(reward,)).has_activity is True


def test_an_order_is_activity(program: Program) -> None:
    # GIVEN one earned line since the previous digest
    # WHEN the digest is built
    # THEN it is worth an email
    assert digest(program, entries=(entry("SO-1", "base", 10),)).has_activity is True


def test_the_digest_carries_the_profile_and_program_it_is_written_for(program: Program) -> None:
    # GIVEN the SPEC program and a German profile
    # WHEN the digest is built
    result = digest(program)

    # THEN it names the program, the account, the reader and the period
    assert (result.program_name, result.customer_id, result.customer_name, result.locale) == (
        "Acme B2B Rewards",
        "ACME",
        "Acme Industrial Supply",
        "de-DE",
    )
    assert (result.since, result.at) == (SINCE, T)


def test_the_digest_serialises_amounts_as_strings(program: Program) -> None:
    # GIVEN a digest with a balance worth 21.25
    result = digest(program, make_account(balance=2125, tier="Silver", buckets=items_bought(1010)))

    # WHEN it is dumped as JSON (the job may log or store it)
    dumped = result.model_dump(mode="json")

    # THEN money has two decimals and decimals are written plainly
    assert (dumped["balance_value"], dumped["point_value"]) == ("21.25", "0.01")
    assert (dumped["tier"]["remaining"], dumped["tier"]["discount_percent"]) == ("3990", "5")


def test_a_margin_line_comes_after_the_product_and_category_lines_and_names_the_margin() -> None:
    # GIVEN a program listing a margin rule before a product multiplier, and an order's lines out of order
    program = make_program(
        rules=[
            {"id": "margin", "kind": "margin_points", "points_per_unit": "2"},
            {"id": "drills", "kind": "product_multiplier", "skus": ["DRILL-18V"], "multiplier": "2"},
            {"id": "welcome", "kind": "welcome_bonus", "points": 500},
        ],
        tiers=None,
    )
    lines = [("welcome", 500), ("margin", 158), ("drills", 200), ("base", 200)]
    entries = tuple(entry("SO-7", rule, points) for rule, points in lines)

    # WHEN the digest is built
    (order,) = digest(program, entries=entries).orders

    # THEN the lines follow scoring's order, and the margin line reads as such
    assert [(line.reason.kind, line.reason.rule, line.points) for line in order.lines] == [
        ("base", "base", 200),
        ("other", "drills", 200),
        ("margin", "margin", 158),
        ("other", "welcome", 500),
    ]
