"""The order as a storefront sends it: limits of SPEC section 3, each a field-level error."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty.errors import InvalidInput
from loyalty.order import MAX_LINES, Order
from tests.unit.builders import make_order


def errors_of(**changes: Any) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        make_order(**changes)
    return [detail.field for detail in caught.value.details]


LINE = {"sku": "BOLT-M8", "quantity": 1, "unit_price": "0.45"}


def test_subtotal_and_items_are_exact_sums_over_lines() -> None:
    order = make_order(lines=[{**LINE, "quantity": 1000}, {"sku": "NUT", "quantity": 3, "unit_price": "0.3333"}])

    assert str(order.subtotal) == "450.9999"
    assert order.items == 1003


def test_placed_at_is_held_in_utc() -> None:
    order = make_order(placed_at="2026-11-20T11:15:00+01:00")

    assert order.placed_at.isoformat() == "2026-11-20T10:15:00+00:00"


@pytest.mark.parametrize("placed_at", ["2026-11-20T10:15:00", "yesterday", ""])
def test_placed_at_needs_a_time_zone(placed_at: str) -> None:
    assert errors_of(placed_at=placed_at) == ["placed_at"]


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True])
def test_quantity_is_an_integer_of_at_least_one(quantity: Any) -> None:
    assert errors_of(lines=[{**LINE, "quantity": quantity}]) == ["lines.0.quantity"]


@pytest.mark.parametrize("unit_price", ["-0.01", "0.00001", "abc", None])
def test_unit_price_is_a_non_negative_decimal_with_at_most_four_places(unit_price: Any) -> None:
    assert errors_of(lines=[{**LINE, "unit_price": unit_price}]) == ["lines.0.unit_price"]


def test_unit_price_may_be_zero_and_have_four_places() -> None:
    order = make_order(lines=[{**LINE, "unit_price": "0"}, {**LINE, "unit_price": 0.0001}])

    assert str(order.subtotal) == "0.0001"


@pytest.mark.parametrize("field", ["order_id", "customer_id", "buyer_id"])
@pytest.mark.parametrize("value", ["", "x" * 201])
def test_ids_are_one_to_two_hundred_characters(field: str, value: str) -> None:
    assert errors_of(**{field: value}) == [field]


@pytest.mark.parametrize(("field", "value"), [("sku", ""), ("category", "x" * 201)])
def test_line_texts_are_one_to_two_hundred_characters(field: str, value: str) -> None:
    assert errors_of(lines=[{**LINE, field: value}]) == [f"lines.0.{field}"]


def test_two_hundred_characters_are_allowed() -> None:
    assert make_order(order_id="x" * 200).order_id == "x" * 200


def test_an_order_has_one_to_a_thousand_lines() -> None:
    assert errors_of(lines=[]) == ["lines"]
    assert errors_of(lines=[LINE] * (MAX_LINES + 1)) == ["lines"]
    assert len(make_order(lines=[LINE] * MAX_LINES).lines) == MAX_LINES


def test_codes_are_one_to_two_hundred_characters() -> None:
    assert errors_of(codes=["NP-1", ""]) == ["codes.1"]


def test_a_code_may_appear_only_once() -> None:
    assert errors_of(codes=["NP-1", "NP-2", "NP-1"]) == ["codes.2"]


@pytest.mark.parametrize("redeem_points", [-1, 2.5])
def test_redeem_points_is_a_non_negative_integer(redeem_points: Any) -> None:
    assert errors_of(redeem_points=redeem_points) == ["redeem_points"]


def test_unknown_keys_are_refused() -> None:
    assert errors_of(shipping="9.90") == ["shipping"]
    assert errors_of(lines=[{**LINE, "tax": "1"}]) == ["lines.0.tax"]


def test_a_mismatched_currency_is_a_field_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        make_order(currency="USD").check_currency("EUR")

    assert [detail.field for detail in caught.value.details] == ["currency"]


def test_the_fingerprint_ignores_formatting_but_not_meaning() -> None:
    original = make_order(lines=[{**LINE, "unit_price": "0.45"}])
    reformatted = Order.parse(
        {
            **original.model_dump(mode="json"),
            "lines": [{**LINE, "unit_price": 0.450}],
            "placed_at": "2026-11-20T11:15:00+01:00",
        }
    )
    changed = make_order(lines=[{**LINE, "unit_price": "0.46"}])

    assert reformatted.fingerprint() == original.fingerprint()
    assert changed.fingerprint() != original.fingerprint()
