"""Strict input types, applied once in the models: prices, times and flags are what they say, nothing guessed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from loyalty.errors import InvalidInput
from loyalty.profile import Profile
from loyalty.program import Program
from loyalty_api.customers import NpsRequest
from tests.unit.builders import make_order, spec_document

LINE = {"sku": "BOLT-M8", "quantity": 1, "unit_price": "0.45"}


def order_errors(**changes: Any) -> dict[str, str]:
    with pytest.raises(InvalidInput) as caught:
        make_order(**changes)
    return {detail.field: detail.type for detail in caught.value.details}


def program_errors(document: dict[str, Any]) -> set[str]:
    with pytest.raises(InvalidInput) as caught:
        Program.parse(document)
    return {detail.field for detail in caught.value.details}


class TestPrices:
    @pytest.mark.parametrize("price", ["1_000", " 5", "5 ", "1e", "NaN", "Infinity", "0x10", "", True, None, [1]])
    def test_a_price_that_is_no_plain_decimal_is_refused_on_its_field(self, price: Any) -> None:
        assert "lines.0.unit_price" in order_errors(lines=[{**LINE, "unit_price": price}])

    @pytest.mark.parametrize(
        ("price", "value"),
        [
            ("0.45", "0.45"),
            (Decimal("0.45"), "0.45"),
            (3, "3"),
            ("12", "12"),
            (".5", "0.5"),
            ("+2.50", "2.5"),
            ("4.5E-1", "0.45"),
        ],
    )
    def test_a_decimal_string_or_number_is_the_price(self, price: Any, value: str) -> None:
        order = make_order(lines=[{**LINE, "unit_price": price}])

        assert order.lines[0].unit_price == Decimal(value)

    def test_program_amounts_are_read_the_same_way(self) -> None:
        document = spec_document()
        document["point_value"] = "0_01"
        document["tiers"]["levels"][1]["discount_percent"] = "5_0"

        assert program_errors(document) == {"point_value", "tiers.levels.1.discount_percent"}


class TestTimes:
    @pytest.mark.parametrize("placed_at", [0, 1795256100, 1795256100.5, "1795256100", "0", True])
    def test_a_number_is_not_taken_for_a_time(self, placed_at: Any) -> None:
        assert "placed_at" in order_errors(placed_at=placed_at)

    @pytest.mark.parametrize(
        "placed_at",
        [
            "0999-06-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "1999-12-31T23:59:59Z",
            "2201-01-01T00:00:00Z",
            "9999-12-31T00:00:00Z",
        ],
    )
    def test_a_time_outside_the_years_2000_to_2200_is_refused_on_its_field(self, placed_at: str) -> None:
        assert order_errors(placed_at=placed_at) == {"placed_at": "datetime_range"}

    @pytest.mark.parametrize("placed_at", ["2000-01-01T00:00:00Z", "2200-12-31T23:59:59Z", "2026-11-20T11:15:00+01:00"])
    def test_a_time_within_the_years_and_with_a_zone_is_read_in_utc(self, placed_at: str) -> None:
        moment = make_order(placed_at=placed_at).placed_at

        assert moment.tzinfo == UTC
        assert datetime(2000, 1, 1, tzinfo=UTC) <= moment < datetime(2201, 1, 1, tzinfo=UTC)

    def test_a_time_without_a_zone_is_refused(self) -> None:
        assert order_errors(placed_at="2026-11-20T10:15:00") == {"placed_at": "timezone_aware"}

    @pytest.mark.parametrize("answered_at", [0, "0", "1990-01-01T00:00:00Z"])
    def test_an_nps_answer_time_is_an_iso_time_within_the_years(self, answered_at: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            NpsRequest.model_validate({"score": 9, "answered_at": answered_at})

        assert [error["loc"] for error in caught.value.errors()] == [("answered_at",)]

    def test_program_event_times_are_checked_the_same_way(self) -> None:
        document = spec_document()
        document["rules"][2]["starts_at"] = 0
        document["rules"][2]["ends_at"] = "9999-01-01T00:00:00Z"

        assert program_errors(document) == {"rules.2.starts_at", "rules.2.ends_at"}


class TestFlags:
    @pytest.mark.parametrize("flag", ["yes", "true", 0, 1, "1", None])
    def test_a_profile_opt_in_is_a_json_boolean(self, flag: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            Profile.model_validate({"email_opt_in": flag})

        assert [error["loc"] for error in caught.value.errors()] == [("email_opt_in",)]

    @pytest.mark.parametrize("flag", [True, False])
    def test_a_boolean_is_the_flag(self, flag: bool) -> None:
        assert Profile.model_validate({"email_opt_in": flag}).email_opt_in is flag

    @pytest.mark.parametrize("flag", ["yes", "true", 0, 1])
    def test_program_flags_are_json_booleans(self, flag: Any) -> None:
        document = spec_document()
        document["tiers"]["levels"][2]["free_shipping"] = flag
        document["emails"]["digest"] = flag

        assert program_errors(document) == {"tiers.levels.2.free_shipping", "emails.digest"}
