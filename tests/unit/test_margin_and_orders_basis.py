"""SPEC section 9: margin points on lines with a unit cost, tiers by number of orders, the breakdown's order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from loyalty.account import Account
from loyalty.commit import cancel_order, commit_order
from loyalty.errors import InvalidInput
from loyalty.history import import_history
from loyalty.program import Program
from loyalty.returns import ReturnRequest, return_lines
from loyalty.scoring import score
from loyalty.tiers import VolumeBucket, progress, remove_volume, review
from loyalty_aws.accounts import account_from_item
from tests.unit.builders import at, make_account, make_order, make_program, minting

DRILLS = {"sku": "DRILL-18V", "quantity": 2, "unit_price": "100", "category": "tools", "unit_cost": "60.5"}
BOLTS = {"sku": "BOLT-M8", "quantity": 10, "unit_price": "10", "category": "fasteners", "unit_cost": "12"}
CABLE = {"sku": "CABLE", "quantity": 1, "unit_price": "100", "category": "cables"}
MARGIN = {"id": "margin", "kind": "margin_points", "points_per_unit": "2"}
EVENT_TIMES = {"starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}
GOLD_TIERS = {
    "basis": "quantity",
    "window_days": 365,
    "levels": [
        {"name": "Bronze", "threshold": 0},
        {"name": "Gold", "threshold": 10, "points_multiplier": "1.5", "bonus_points_per_order": 100},
    ],
}
ORDER_TIERS = {
    "basis": "orders",
    "window_days": 365,
    "levels": [{"name": "Bronze", "threshold": 0}, {"name": "Silver", "threshold": 3}],
}


def program_with(*rules: dict[str, Any], **changes: Any) -> Program:
    return make_program(**{"rules": list(rules), "tiers": None, **changes})


def breakdown(program: Program, account: Account, *lines: dict[str, Any]) -> list[tuple[str, int]]:
    decision = score(program, account, make_order(lines=list(lines)), {}).decision
    return [(line.rule, line.points) for line in decision.breakdown]


def refused_fields(action: Any) -> list[str]:
    with pytest.raises(InvalidInput) as refused:
        action()
    return [detail.field for detail in refused.value.details]


# ---------------------------------------------------------------------- margin points


def test_margin_points_earn_on_the_margin_of_the_lines_with_a_unit_cost() -> None:
    # GIVEN 2 points per unit of margin, drills bought at 60.5 and sold at 100, bolts sold below cost, a cable
    program = program_with(MARGIN)
    account = make_account(first_order_at=at("2026-01-01T00:00:00Z"))
    # WHEN the cart of 400 is scored (no discount: eligible 400)
    lines = breakdown(program, account, DRILLS, BOLTS, CABLE)
    # THEN margin = (100 - 60.5) x 2 + max(10 - 12, 0) x 10 = 79; floor(79 x 400 / 400 x 2) = 158
    assert lines == [("base", 400), ("margin", 158)]


def test_the_margin_line_follows_the_discounted_share_floored_once() -> None:
    # GIVEN a 5 % first-order discount: eligible 380 of a 400 subtotal
    program = program_with({"id": "first-order", "kind": "first_order_discount", "percent": "5"}, MARGIN)
    # WHEN a new account orders
    lines = breakdown(program, make_account(), DRILLS, BOLTS, CABLE)
    # THEN floor(79 x 380 / 400 x 2) = floor(150.1) = 150
    assert lines == [("base", 380), ("margin", 150)]


def test_an_order_without_unit_costs_earns_no_margin_line() -> None:
    program = program_with(MARGIN)
    assert breakdown(program, make_account(), CABLE) == [("base", 100)]


def test_tier_and_event_multipliers_do_not_multiply_the_margin_line() -> None:
    # GIVEN a Gold account (x1.5) and a x2 event
    program = program_with(
        MARGIN, {"id": "x2", "kind": "multiplier_event", "multiplier": "2", **EVENT_TIMES}, tiers=GOLD_TIERS
    )
    account = make_account(tier="Gold", first_order_at=at("2026-01-01T00:00:00Z"))
    # WHEN drills alone are scored: base 200, margin floor(79 x 2) = 158
    lines = breakdown(program, account, DRILLS)
    # THEN tier floor(200 x 0.5) = 100 and event floor(200 x 1) = 200: the margin is left out of both
    assert lines == [("base", 200), ("margin", 158), ("tier", 100), ("x2", 200), ("tier_bonus", 100)]


def test_a_margin_rule_with_segments_applies_only_to_those_segments() -> None:
    program = program_with({**MARGIN, "segments": ["installer"]})
    installer = make_account(segment="installer", first_order_at=at("2026-01-01T00:00:00Z"))
    retail = make_account(segment="retail", first_order_at=at("2026-01-01T00:00:00Z"))
    assert breakdown(program, installer, DRILLS) == [("base", 200), ("margin", 158)]
    assert breakdown(program, retail, DRILLS) == [("base", 200)]


def test_an_order_worth_nothing_earns_no_margin() -> None:
    program = program_with(MARGIN)
    free = {"sku": "FREE", "quantity": 1, "unit_price": "0", "unit_cost": "0"}
    assert breakdown(program, make_account(), free) == []


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"id": "m", "kind": "margin_points"}, "rules.0.points_per_unit"),
        ({"id": "m", "kind": "margin_points", "points_per_unit": "-1"}, "rules.0.points_per_unit"),
        ({"id": "m", "kind": "margin_points", "points_per_unit": "1_000"}, "rules.0.points_per_unit"),
        ({"id": "m", "kind": "margin_points", "points_per_unit": "0.00001"}, "rules.0.points_per_unit"),
        ({"id": "m", "kind": "margin_points", "points_per_unit": True}, "rules.0.points_per_unit"),
        ({"id": "m", "kind": "margin_points", "points_per_unit": "1", "extra": 1}, "rules.0.extra"),
        ({"id": "base", "kind": "margin_points", "points_per_unit": "1"}, "rules.0.id"),
    ],
)
def test_each_mistake_in_a_margin_rule_names_its_field(rule: dict[str, Any], field: str) -> None:
    assert field in refused_fields(lambda: program_with(rule))


@pytest.mark.parametrize("unit_cost", ["-1", "1_000", "1.23456", "abc", True, "", "NaN", "Infinity"])
def test_a_wrong_unit_cost_names_its_line(unit_cost: Any) -> None:
    line = {**CABLE, "unit_cost": unit_cost}
    assert refused_fields(lambda: make_order(lines=[CABLE, line])) == ["lines.1.unit_cost"]


@pytest.mark.parametrize(
    ("unit_cost", "expected"), [("0", Decimal(0)), ("12.3456", Decimal("12.3456")), (7, Decimal(7))]
)
def test_a_unit_cost_is_a_decimal_of_at_most_four_decimals(unit_cost: Any, expected: Decimal) -> None:
    assert make_order(lines=[{**CABLE, "unit_cost": unit_cost}]).lines[0].unit_cost == expected


def test_the_same_unit_cost_written_two_ways_is_one_order() -> None:
    first = make_order(lines=[{**CABLE, "unit_cost": "0.450"}])
    second = make_order(lines=[{**CABLE, "unit_cost": 0.45}])
    other = make_order(lines=[{**CABLE, "unit_cost": "0.46"}])
    assert first.fingerprint() == second.fingerprint() != other.fingerprint()


# ---------------------------------------------------------------------- the breakdown's order

EVERY_KIND = [
    {"id": "drills", "kind": "product_multiplier", "skus": ["DRILL-18V"], "multiplier": "2"},
    MARGIN,
    {"id": "big", "kind": "cart_amount_bonus", "min_amount": "300", "points": 50},
    {"id": "fasteners", "kind": "category_multiplier", "category": "fasteners", "multiplier": "3"},
    {"id": "welcome", "kind": "welcome_bonus", "points": 500},
    {"id": "anniversary", "kind": "anniversary_bonus", "points": 700},
    {"id": "300", "kind": "milestone_bonus", "lifetime_spend": "300", "points": 1000},
    {"id": "bulk", "kind": "cart_quantity_bonus", "min_items": 10, "points": 40},
    {"id": "x2", "kind": "multiplier_event", "multiplier": "2", **EVENT_TIMES},
    {"id": "deal", "kind": "discount_event", "percent": "5", **EVENT_TIMES},
    {"id": "first-order", "kind": "first_order_discount", "percent": "5"},
    {"id": "kit", "kind": "free_product", "min_amount": "100", "sku": "SAMPLE-KIT"},
]


def test_every_kind_in_one_program_lists_its_lines_in_the_order_of_spec_section_9() -> None:
    # GIVEN a program with every kind, its multipliers and bonuses interleaved in the document
    program = program_with(*EVERY_KIND, tiers=GOLD_TIERS)
    # WHEN a new Gold account orders 400 (first order 5 % + event 5 %: eligible 360)
    lines = breakdown(program, make_account(tier="Gold"), DRILLS, BOLTS, CABLE)
    # THEN base 360; drills floor(200 x 0.9) = 180; fasteners floor(100 x 0.9 x 2) = 180 (program order);
    # margin floor(79 x 0.9 x 2) = 142; tier floor(720 x 0.5) = 360; event floor(720 x 1) = 720;
    # cart bonuses in program order; tier_bonus; milestone (0 < 300 <= 360); welcome last
    assert lines == [
        ("base", 360),
        ("drills", 180),
        ("fasteners", 180),
        ("margin", 142),
        ("tier", 360),
        ("x2", 720),
        ("big", 50),
        ("bulk", 40),
        ("tier_bonus", 100),
        ("300", 1000),
        ("welcome", 500),
    ]


def test_the_anniversary_line_comes_after_the_milestone_and_before_nothing_but_welcome() -> None:
    # GIVEN the same program, and a Gold account a year after its first order, milestone not reached yet
    program = program_with(*EVERY_KIND, tiers=GOLD_TIERS)
    account = make_account(tier="Gold", first_order_at=at("2025-11-01T00:00:00Z"), lifetime_spend=Decimal(0))
    # WHEN it orders 400 (event 5 % only: eligible 380)
    lines = breakdown(program, account, DRILLS, BOLTS, CABLE)
    # THEN drills 190, fasteners 190, margin floor(79 x 0.95 x 2) = 150, tier 380, event 760
    assert lines == [
        ("base", 380),
        ("drills", 190),
        ("fasteners", 190),
        ("margin", 150),
        ("tier", 380),
        ("x2", 760),
        ("big", 50),
        ("bulk", 40),
        ("tier_bonus", 100),
        ("300", 1000),
        ("anniversary", 700),
    ]


# ---------------------------------------------------------------------- tiers by number of orders


def orders_on(day: str, orders: int, items: int = 5) -> VolumeBucket:
    return VolumeBucket(day=date.fromisoformat(day), items=items, spend=Decimal(100), orders=orders)


def test_tiers_by_orders_upgrade_on_the_order_that_reaches_the_threshold() -> None:
    # GIVEN Silver at 3 orders, and 2 orders in the window (of many items)
    program = program_with(tiers=ORDER_TIERS)
    account = make_account(tier="Bronze", buckets=(orders_on("2026-10-01", 2, items=500),))
    # WHEN a third order is committed
    commit = commit_order(program, account, make_order(), {}, mint=minting("NP-1"))
    # THEN it is the third standing order, and Silver is reached
    assert commit.decision.tier is not None
    assert (commit.decision.tier.before, commit.decision.tier.after) == ("Bronze", "Silver")
    assert [(bucket.day.isoformat(), bucket.orders) for bucket in commit.account.buckets] == [
        ("2026-10-01", 2),
        ("2026-11-20", 1),
    ]


def test_a_cancel_takes_its_order_back_from_the_count() -> None:
    program = program_with(tiers=ORDER_TIERS)
    commit = commit_order(program, make_account(), make_order(), {}, mint=minting("NP-1"))
    cancelled = cancel_order(commit.account, commit.record, commit.issued_code)
    assert cancelled.account.buckets == ()


def test_a_partial_return_leaves_the_order_counted_and_a_full_return_takes_it_back() -> None:
    # GIVEN an order of two lines
    program = program_with(tiers=ORDER_TIERS)
    order = make_order(lines=[DRILLS, CABLE])
    commit = commit_order(program, make_account(), order, {}, mint=minting("NP-1"))
    # WHEN the cable comes back, then the drills
    part = return_lines(
        commit.account, commit.record, ReturnRequest(return_id="R1", lines=[{"sku": "CABLE", "quantity": 1}]), None
    )
    rest = return_lines(
        part.account, part.record, ReturnRequest(return_id="R2", lines=[{"sku": "DRILL-18V", "quantity": 2}]), None
    )
    # THEN the order counts until all of it is returned, which is a cancel
    assert [bucket.orders for bucket in part.account.buckets] == [1]
    assert rest.account.buckets == ()


def test_an_imported_order_counts_one_order() -> None:
    program = program_with(tiers=ORDER_TIERS)
    past = [make_order(order_id=f"OLD-{index}", placed_at=f"2026-11-0{index}T10:00:00Z") for index in (1, 2, 3)]
    imported = import_history(program, make_account(), past)
    assert sum(bucket.orders for bucket in imported.account.buckets) == 3
    assert imported.account.tier == "Silver"


def test_the_tier_review_and_progress_count_orders_in_the_window() -> None:
    # GIVEN Silver at 3 orders: one order still in the window, two that left it
    tiers = program_with(tiers=ORDER_TIERS).tiers
    assert tiers is not None
    buckets = (orders_on("2025-06-01", 2), orders_on("2026-11-01", 1))
    moment = at("2026-11-20T02:00:00Z")
    # WHEN the nightly review runs and the progress is read
    evaluation = review(tiers, "Silver", buckets, moment)
    shown = progress(tiers, "Bronze", buckets, moment)
    # THEN the volume is 1 order: down to Bronze, 2 orders to go
    assert (evaluation.after, evaluation.volume) == ("Bronze", Decimal(1))
    assert (shown.basis, shown.volume, shown.next_tier, shown.remaining) == ("orders", Decimal(1), "Silver", Decimal(2))


def test_a_bucket_stored_before_orders_were_counted_reads_as_no_orders() -> None:
    # GIVEN an account item whose bucket has items and spend only
    item = {
        "customer_id": {"S": "ACME"},
        "version": {"N": "3"},
        "buckets": {"M": {"2026-11-01": {"M": {"items": {"N": "5"}, "spend": {"N": "100"}}}}},
    }
    # WHEN it is read
    account = account_from_item(item, "ACME").account
    # THEN the bucket counts 0 orders, and cancelling an order of that day leaves it at 0
    assert account.buckets == (VolumeBucket(day=date(2026, 11, 1), items=5, spend=Decimal(100), orders=0),)
    left = remove_volume(account.buckets, date(2026, 11, 1), 2, Decimal(40))
    assert left == (VolumeBucket(day=date(2026, 11, 1), items=3, spend=Decimal(60), orders=0),)


def test_an_order_a_partner_brought_counts_one_order_toward_its_tier_until_it_stands_no_more() -> None:
    # GIVEN partners whose brought orders count toward their tier, by orders
    program = program_with(tiers=ORDER_TIERS, partners={"points_per_unit": "0.5", "counts_toward_tier": True})
    order = make_order(partner_id="DIST", lines=[DRILLS, CABLE])
    commit = commit_order(
        program, make_account(), order, {}, mint=minting("NP-1"), partner=Account(customer_id="DIST", partner=True)
    )
    assert commit.partner is not None
    # WHEN the cable comes back, then the drills
    part = return_lines(
        commit.account,
        commit.record,
        ReturnRequest(return_id="R1", lines=[{"sku": "CABLE", "quantity": 1}]),  # type: ignore[list-item]
        None,
        commit.partner.account,
    )
    assert part.partner is not None
    rest = return_lines(
        part.account,
        part.record,
        ReturnRequest(return_id="R2", lines=[{"sku": "DRILL-18V", "quantity": 2}]),  # type: ignore[list-item]
        None,
        part.partner.account,
    )
    # THEN the partner's order counts after the partial return, and no more after the full one
    assert [bucket.orders for bucket in commit.partner.account.buckets] == [1]
    assert [bucket.orders for bucket in part.partner.account.buckets] == [1]
    assert rest.partner is not None
    assert rest.partner.account.buckets == ()
