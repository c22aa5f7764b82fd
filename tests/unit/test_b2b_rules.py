"""The B2B earning and discount rules of SPEC section 9: welcome, first order, discount events, products."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty.errors import InvalidInput
from loyalty.program import Program
from loyalty.scoring import score
from tests.unit.builders import at, make_account, make_order, make_program

LINE = {"sku": "DRILL-18V", "quantity": 2, "unit_price": "100", "category": "tools"}
OTHER = {"sku": "BOLT-M8", "quantity": 1, "unit_price": "100", "category": "fasteners"}


def program_with(*rules: dict[str, Any], **changes: Any) -> Program:
    return make_program(rules=list(rules), tiers=None, **changes)


def field_of(document_rules: list[dict[str, Any]]) -> list[str]:
    with pytest.raises(InvalidInput) as refused:
        program_with(*document_rules)
    return [detail.field for detail in refused.value.details]


def test_a_welcome_bonus_is_the_last_line_of_an_accounts_first_order() -> None:
    # GIVEN a program with a welcome bonus and a cart bonus
    program = program_with(
        {"id": "big", "kind": "cart_amount_bonus", "min_amount": "100", "points": 10},
        {"id": "welcome", "kind": "welcome_bonus", "points": 500},
    )
    # WHEN a new account orders
    decision = score(program, make_account(), make_order(lines=[LINE]), {}).decision
    # THEN the welcome points come last in the breakdown
    assert [(line.rule, line.points) for line in decision.breakdown] == [("base", 200), ("big", 10), ("welcome", 500)]


def test_a_welcome_bonus_is_not_given_to_an_account_that_has_ordered() -> None:
    program = program_with({"id": "welcome", "kind": "welcome_bonus", "points": 500})
    account = make_account(first_order_at=at("2026-01-01T00:00:00Z"))
    decision = score(program, account, make_order(lines=[LINE]), {}).decision
    assert [line.rule for line in decision.breakdown] == ["base"]


def test_a_first_order_discount_is_a_source_with_its_rule() -> None:
    program = program_with({"id": "first-order", "kind": "first_order_discount", "percent": "5"})
    decision = score(program, make_account(), make_order(lines=[LINE]), {}).decision
    assert decision.model_dump(mode="json")["discounts"] == [
        {"source": "first_order", "percent": "5", "amount": "10.00", "rule": "first-order"}
    ]
    assert decision.model_dump(mode="json")["eligible_amount"] == "190.00"


def test_a_first_order_discount_is_not_given_on_a_later_order() -> None:
    program = program_with({"id": "first-order", "kind": "first_order_discount", "percent": "5"})
    account = make_account(first_order_at=at("2026-01-01T00:00:00Z"))
    assert score(program, account, make_order(lines=[LINE]), {}).decision.discounts == ()


@pytest.mark.parametrize(
    ("placed_at", "expected"),
    [
        ("2026-11-30T23:59:59Z", []),
        ("2026-12-01T00:00:00Z", [("event", "5", "deep")]),
        ("2026-12-23T23:59:59Z", [("event", "5", "deep")]),
        ("2026-12-24T00:00:00Z", []),
    ],
)
def test_only_the_highest_active_discount_event_applies_within_its_bounds(placed_at: str, expected: list) -> None:
    # GIVEN two overlapping discount events
    program = program_with(
        {
            "id": "mild",
            "kind": "discount_event",
            "percent": "3",
            "starts_at": "2026-12-01T00:00:00Z",
            "ends_at": "2026-12-24T00:00:00Z",
        },
        {
            "id": "deep",
            "kind": "discount_event",
            "percent": "5",
            "starts_at": "2026-12-01T00:00:00Z",
            "ends_at": "2026-12-24T00:00:00Z",
        },
    )
    account = make_account(first_order_at=at("2026-01-01T00:00:00Z"))
    # WHEN an order is placed at the edge
    decision = score(program, account, make_order(lines=[LINE], placed_at=placed_at), {}).decision
    # THEN starts_at <= placed_at < ends_at, and only the highest of the active ones
    assert [(line.source, str(line.percent), line.rule) for line in decision.discounts] == expected


def test_the_cap_trims_the_event_before_the_first_order_discount() -> None:
    # GIVEN a cap of 6 % and a first order that would get 5 % + 3 %
    program = program_with(
        {"id": "first-order", "kind": "first_order_discount", "percent": "5"},
        {
            "id": "deal",
            "kind": "discount_event",
            "percent": "3",
            "starts_at": "2026-11-01T00:00:00Z",
            "ends_at": "2026-12-01T00:00:00Z",
        },
        max_discount_percent="6",
    )
    decision = score(program, make_account(), make_order(lines=[LINE]), {}).decision
    # THEN the sources are listed first_order then event, and the last one is cut to the cap
    assert [(line.source, str(line.percent), str(line.amount)) for line in decision.discounts] == [
        ("first_order", "5", "10.00"),
        ("event", "1", "2.00"),
    ]
    assert str(decision.discount_total) == "12.00"


def test_a_product_multiplier_multiplies_the_share_of_the_listed_skus() -> None:
    # GIVEN drills doubled, and a cart of 200 in drills and 100 in bolts
    program = program_with({"id": "drills", "kind": "product_multiplier", "skus": ["DRILL-18V"], "multiplier": "2"})
    account = make_account(first_order_at=at("2026-01-01T00:00:00Z"))
    decision = score(program, account, make_order(lines=[LINE, OTHER]), {}).decision
    # THEN the drills' share earns once more
    assert [(line.rule, line.points) for line in decision.breakdown] == [("base", 300), ("drills", 200)]


def test_a_product_multiplier_follows_the_discounted_share_floored_once() -> None:
    # GIVEN a 1.5 multiplier on drills and a 5 % first-order discount
    program = program_with(
        {"id": "first-order", "kind": "first_order_discount", "percent": "5"},
        {"id": "drills", "kind": "product_multiplier", "skus": ["DRILL-18V"], "multiplier": "1.5"},
    )
    order = make_order(lines=[{**LINE, "quantity": 1, "unit_price": "33.33"}, OTHER])
    decision = score(program, make_account(), order, {}).decision
    # THEN the line is floor(33.33 * eligible / subtotal * 0.5) = floor(33.33 * 126.6635 / 133.33 * 0.5)
    assert dict((line.rule, line.points) for line in decision.breakdown)["drills"] == 15


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"id": "w", "kind": "welcome_bonus", "points": -1}, "rules.0.points"),
        ({"id": "w", "kind": "welcome_bonus"}, "rules.0.points"),
        ({"id": "f", "kind": "first_order_discount", "percent": "0"}, "rules.0.percent"),
        ({"id": "f", "kind": "first_order_discount", "percent": "101"}, "rules.0.percent"),
        (
            {
                "id": "e",
                "kind": "discount_event",
                "percent": "3",
                "starts_at": "2026-12-02T00:00:00Z",
                "ends_at": "2026-12-01T00:00:00Z",
            },
            "rules.0.ends_at",
        ),
        (
            {
                "id": "e",
                "kind": "discount_event",
                "percent": "3",
                "starts_at": "2026-12-01",
                "ends_at": "2026-12-24T00:00:00Z",
            },
            "rules.0.starts_at",
        ),
        ({"id": "p", "kind": "product_multiplier", "skus": [], "multiplier": "2"}, "rules.0.skus"),
        (
            {"id": "p", "kind": "product_multiplier", "skus": ["A"], "multiplier": "0.5"},
            "rules.0.multiplier",
        ),
    ],
)
def test_each_mistake_in_a_new_rule_names_its_field(rule: dict[str, Any], field: str) -> None:
    assert field in field_of([rule])


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("installer", [("base", 200), ("installers", 300)]),
        ("retail", [("base", 200)]),
        (None, [("base", 200)]),
    ],
)
def test_a_rule_with_segments_applies_only_to_accounts_of_those_segments(
    segment: str | None, expected: list[tuple[str, int]]
) -> None:
    # GIVEN a cart bonus for installers only
    program = program_with(
        {"id": "installers", "kind": "cart_amount_bonus", "min_amount": "100", "points": 300, "segments": ["installer"]}
    )
    # WHEN an account of each kind orders the same cart
    account = make_account(segment=segment, first_order_at=at("2026-01-01T00:00:00Z"))
    decision = score(program, account, make_order(lines=[LINE]), {}).decision
    # THEN only the installer earns the bonus (an account without a segment matches no list)
    assert [(line.rule, line.points) for line in decision.breakdown] == expected


def test_a_discount_event_with_segments_discounts_only_those_segments() -> None:
    event = {
        "id": "installer-days",
        "kind": "discount_event",
        "percent": "3",
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2027-01-01T00:00:00Z",
        "segments": ["installer"],
    }
    program = program_with(event)
    order = make_order(lines=[LINE])
    installer = score(program, make_account(segment="installer"), order, {}).decision
    retail = score(program, make_account(segment="retail"), order, {}).decision
    assert [(line.source, line.rule) for line in installer.discounts] == [("event", "installer-days")]
    assert retail.discounts == ()


@pytest.mark.parametrize(
    ("segments", "field"),
    [([], "rules.0.segments"), ([""], "rules.0.segments.0"), ("installer", "rules.0.segments")],
)
def test_a_wrong_segments_list_names_its_field(segments: Any, field: str) -> None:
    rule = {"id": "big", "kind": "cart_amount_bonus", "min_amount": "1", "points": 1, "segments": segments}
    assert field in field_of([rule])
