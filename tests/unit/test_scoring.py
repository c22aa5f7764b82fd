"""Scoring, rule by rule, with the figures of SPEC section 3 and the program's source material."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from loyalty.errors import InsufficientPoints, InvalidInput, RedemptionExceedsAmount
from loyalty.program import Program
from loyalty.scoring import score
from loyalty.tiers import VolumeBucket
from tests.unit.builders import at, make_account, make_order, make_program

LINE = {"sku": "BOLT-M8", "quantity": 1, "unit_price": "100", "category": "tools"}


def points_by_rule(program: Program, order_changes: dict, **account_changes: object) -> dict[str, int]:
    decision = score(program, make_account(**account_changes), make_order(**order_changes), {}).decision
    return {line.rule: line.points for line in decision.breakdown}


def silver_account(**changes: object) -> dict[str, object]:
    return {
        "tier": "Silver",
        "buckets": (VolumeBucket(day=date(2026, 11, 2), items=1010, spend=Decimal(0)),),
        **changes,
    }


def test_the_spec_decision_example_is_reproduced_to_the_letter(program: Program) -> None:
    # GIVEN a Silver account holding 2125 points
    account = make_account(balance=2125, **silver_account())
    # WHEN it buys 1,000 fasteners at 0.45 on 2026-11-20
    order = make_order(lines=[{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}])
    decision = score(program, account, order, {}).decision
    # THEN the decision is the SPEC's, key for key (issued_discount and balance come with a commit,
    # program_version from the stored program the service scored with, partner from the order's partner_id)
    assert decision.model_dump(mode="json", exclude={"issued_discount", "balance", "program_version", "partner"}) == {
        "order_id": "SO-1001",
        "customer_id": "ACME",
        "subtotal": "450.00",
        "discounts": [{"source": "tier", "percent": "5", "amount": "22.50"}],
        "discount_total": "22.50",
        "points_redeemed": 0,
        "eligible_amount": "427.50",
        "points": 2067,
        "breakdown": [
            {"rule": "base", "points": 427},
            {"rule": "fasteners", "points": 427},
            {"rule": "tier", "points": 213},
            {"rule": "bulk", "points": 1000},
        ],
        "effects": [],
        "rejected_codes": [],
        "tier": {"before": "Silver", "after": "Silver"},
        "member": True,
    }


def test_base_is_the_floored_eligible_amount_times_points_per_unit() -> None:
    program = make_program(rules=[], tiers=None, points_per_unit="1.5")

    earned = points_by_rule(program, {"lines": [{**LINE, "unit_price": "99.99"}]})

    assert earned == {"base": 149}  # floor(99.99 * 1.5) = floor(149.985)


def test_a_category_multiplier_earns_on_the_category_share_of_the_eligible_amount() -> None:
    program = make_program(
        tiers=None,
        rules=[{"id": "fasteners", "kind": "category_multiplier", "category": "fasteners", "multiplier": "3"}],
    )
    lines = [{**LINE, "category": "fasteners", "unit_price": "30"}, {**LINE, "category": "tools", "unit_price": "70"}]

    earned = points_by_rule(program, {"lines": lines, "redeem_points": 1000}, balance=1000)

    # eligible 100 - 10 = 90; fasteners share 30 * 90 / 100 = 27; extra (3 - 1) * 27 = 54
    assert earned == {"base": 90, "fasteners": 54}


def test_the_category_share_is_exact_and_floored_once() -> None:
    program = make_program(
        tiers=None,
        rules=[{"id": "fasteners", "kind": "category_multiplier", "category": "fasteners", "multiplier": "2"}],
        max_discount_percent="100",
    )
    lines = [{**LINE, "category": "fasteners", "unit_price": "1"}, {**LINE, "category": None, "unit_price": "2"}]

    earned = points_by_rule(program, {"lines": lines, "redeem_points": 1}, balance=1)

    # eligible 2.99; share 1 * 2.99 / 3 = 0.99666..., floored once: 0 (not 1 * 0.99 -> 0.99 -> 0 by luck)
    assert earned == {"base": 2}


def test_the_tier_multiplier_applies_to_base_and_category_lines(program: Program) -> None:
    lines = [{**LINE, "category": "fasteners", "unit_price": "200"}]

    earned = points_by_rule(program, {"lines": lines}, **silver_account())

    # 5% off 200 = 190; base 190, fasteners 190, tier floor(380 * 0.25) = 95
    assert earned == {"base": 190, "fasteners": 190, "tier": 95}


def test_an_order_during_a_3x_event_earns_three_times_the_base() -> None:
    program = make_program(
        tiers=None,
        rules=[
            {
                "id": "year-end",
                "kind": "multiplier_event",
                "multiplier": "3",
                "starts_at": "2026-12-01T00:00:00Z",
                "ends_at": "2026-12-08T00:00:00Z",
            }
        ],
    )

    decision = score(program, make_account(), make_order(placed_at="2026-12-03T09:00:00Z"), {}).decision

    assert decision.points == 3 * 100
    assert [(line.rule, line.points) for line in decision.breakdown] == [("base", 100), ("year-end", 200)]


@pytest.mark.parametrize(
    ("placed_at", "active"),
    [
        ("2026-11-30T23:59:59Z", False),
        ("2026-12-01T00:00:00Z", True),
        ("2026-12-07T23:59:59Z", True),
        ("2026-12-08T00:00:00Z", False),
    ],
)
def test_an_event_is_active_from_its_start_up_to_but_excluding_its_end(
    program: Program, placed_at: str, active: bool
) -> None:
    assert ("year-end" in points_by_rule(program, {"placed_at": placed_at})) is active


def test_only_the_single_highest_active_event_counts() -> None:
    window = {"starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-08T00:00:00Z"}
    program = make_program(
        tiers=None,
        rules=[
            {"id": "double", "kind": "multiplier_event", "multiplier": "2", **window},
            {"id": "triple", "kind": "multiplier_event", "multiplier": "3", **window},
        ],
    )

    assert points_by_rule(program, {"placed_at": "2026-12-02T00:00:00Z"}) == {"base": 100, "triple": 200}


def test_an_order_of_more_than_15000_earns_the_5000_point_bonus(program: Program) -> None:
    assert points_by_rule(program, {"lines": [{**LINE, "unit_price": "15000.01"}]})["big-cart"] == 5000
    assert points_by_rule(program, {"lines": [{**LINE, "unit_price": "15000"}]})["big-cart"] == 5000
    assert "big-cart" not in points_by_rule(program, {"lines": [{**LINE, "unit_price": "14999.99"}]})


def test_the_cart_amount_bonus_looks_at_the_subtotal_before_discounts(program: Program) -> None:
    earned = points_by_rule(program, {"lines": [{**LINE, "unit_price": "15000"}]}, **silver_account())

    assert earned["big-cart"] == 5000


def test_the_cart_quantity_bonus_needs_the_minimum_number_of_items(program: Program) -> None:
    assert points_by_rule(program, {"lines": [{**LINE, "quantity": 500, "unit_price": "0"}]}) == {"bulk": 1000}
    assert points_by_rule(program, {"lines": [{**LINE, "quantity": 499, "unit_price": "0"}]}) == {}


def test_the_held_tier_adds_its_bonus_points_per_order(program: Program) -> None:
    gold = {"tier": "Gold", "buckets": (VolumeBucket(day=date(2026, 11, 2), items=6000, spend=Decimal(0)),)}

    earned = points_by_rule(program, {}, **gold)

    # 8% off 100 = 92; tier floor(92 * 0.5) = 46; tier_bonus 100
    assert earned == {"base": 92, "tier": 46, "tier_bonus": 100}


def test_a_milestone_is_awarded_on_the_order_that_reaches_it(program: Program) -> None:
    reaching = points_by_rule(program, {"lines": [{**LINE, "unit_price": "100"}]}, lifetime_spend=Decimal("99900"))
    short = points_by_rule(program, {"lines": [{**LINE, "unit_price": "99.99"}]}, lifetime_spend=Decimal("99900"))
    past = points_by_rule(program, {}, lifetime_spend=Decimal("100000"))

    assert reaching["100k"] == 20000
    assert "100k" not in short
    assert "100k" not in past


def test_a_milestone_is_awarded_once_per_account(program: Program) -> None:
    earned = points_by_rule(
        program,
        {"lines": [{**LINE, "unit_price": "200"}]},
        lifetime_spend=Decimal("99900"),
        milestones_reached=frozenset({"100k"}),
    )

    assert "100k" not in earned


@pytest.mark.parametrize(
    ("placed_at", "rewarded", "awarded"),
    [
        ("2027-03-14T23:59:59Z", 0, False),  # the day before the first anniversary
        ("2027-03-15T08:00:00Z", 0, True),  # on the anniversary
        ("2027-09-01T08:00:00Z", 0, True),  # first order after it
        ("2027-09-01T08:00:00Z", 1, False),  # already rewarded this year
        ("2029-06-01T08:00:00Z", 1, True),  # years skipped: one award, not two
    ],
)
def test_the_anniversary_bonus_goes_to_the_first_order_on_or_after_an_unrewarded_anniversary(
    program: Program, placed_at: str, rewarded: int, awarded: bool
) -> None:
    earned = points_by_rule(
        program, {"placed_at": placed_at}, first_order_at=at("2026-03-15T08:00:00Z"), anniversaries_rewarded=rewarded
    )

    assert earned.get("anniversary") == (1000 if awarded else None)


def test_a_first_order_on_29_february_has_its_anniversary_on_28_february(program: Program) -> None:
    earned = points_by_rule(program, {"placed_at": "2029-02-28T12:00:00Z"}, first_order_at=at("2028-02-29T12:00:00Z"))

    assert earned["anniversary"] == 1000


def test_a_free_product_is_an_effect_when_the_subtotal_reaches_its_minimum(program: Program) -> None:
    reached = score(program, make_account(), make_order(lines=[{**LINE, "unit_price": "5000"}]), {}).decision
    short = score(program, make_account(), make_order(lines=[{**LINE, "unit_price": "4999.99"}]), {}).decision

    assert [effect.model_dump() for effect in reached.effects] == [
        {"kind": "free_product", "rule": "kit", "sku": "SAMPLE-KIT"}
    ]
    assert short.effects == ()


def test_free_shipping_comes_with_a_tier_that_has_it(program: Program) -> None:
    gold = make_account(tier="Gold", buckets=(VolumeBucket(day=date(2026, 11, 2), items=6000, spend=Decimal(0)),))

    decision = score(program, gold, make_order(), {}).decision

    assert decision.model_dump(mode="json")["effects"] == [{"kind": "free_shipping"}]


def test_an_excluded_segment_earns_nothing_but_keeps_tier_discounts_and_volume(program: Program) -> None:
    staff = make_account(segment="staff", **silver_account())

    scoring = score(program, staff, make_order(lines=[{**LINE, "quantity": 4000, "unit_price": "1"}]), {})

    assert scoring.decision.points == 0
    assert scoring.decision.breakdown == ()
    assert scoring.decision.discount_total == Decimal("200.00")
    assert scoring.decision.tier is not None
    assert scoring.decision.tier.after == "Gold"


def test_shipping_and_tax_cannot_be_sent_so_never_earn() -> None:
    with pytest.raises(InvalidInput):
        make_order(shipping="10")


def test_an_order_in_another_currency_is_refused(program: Program) -> None:
    with pytest.raises(InvalidInput) as caught:
        score(program, make_account(), make_order(currency="USD"), {})

    assert caught.value.details[0].field == "currency"


class TestDiscounts:
    def test_the_tier_discount_is_rounded_half_even_to_cents(self, program: Program) -> None:
        decision = score(
            program, make_account(**silver_account()), make_order(lines=[{**LINE, "unit_price": "10.50"}]), {}
        ).decision

        assert decision.discount_total == Decimal("0.52")  # 0.525 -> 0.52
        assert decision.eligible_amount == Decimal("9.98")

    def test_an_account_at_the_lowest_tier_gets_no_tier_discount_line(self, program: Program) -> None:
        assert score(program, make_account(), make_order(), {}).decision.discounts == ()


class TestRedemption:
    def test_redeemed_points_reduce_the_eligible_amount(self, program: Program) -> None:
        decision = score(program, make_account(balance=3000), make_order(redeem_points=2500), {}).decision

        assert decision.points_redeemed == 2500
        assert decision.eligible_amount == Decimal("75.00")
        assert decision.points == 75

    def test_more_than_the_balance_is_refused(self, program: Program) -> None:
        with pytest.raises(InsufficientPoints) as caught:
            score(program, make_account(balance=100), make_order(redeem_points=101), {})

        assert caught.value.code == "insufficient_points"

    def test_points_worth_more_than_what_is_left_to_pay_are_refused(self, program: Program) -> None:
        account = make_account(balance=20000, **silver_account())

        assert score(program, account, make_order(redeem_points=9500), {}).decision.eligible_amount == 0
        with pytest.raises(RedemptionExceedsAmount):
            score(program, account, make_order(redeem_points=9501), {})
