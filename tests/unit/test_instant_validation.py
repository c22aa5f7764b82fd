"""Instants: every way in gives the same UTC moment, and a UTC moment the engine worked out is kept as it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from loyalty.types import InputInstant, Instant

INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)
INPUT_INSTANT: TypeAdapter[datetime] = TypeAdapter(InputInstant)
MOMENT = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)


def error_type(adapter: TypeAdapter[datetime], value: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(value)
    (error,) = caught.value.errors()
    return error["type"], error["msg"]


@pytest.mark.parametrize("adapter", [INSTANT, INPUT_INSTANT])
@pytest.mark.parametrize(
    "value",
    [
        MOMENT,
        MOMENT.astimezone(timezone(timedelta(hours=5, minutes=30))),
        "2026-11-20T10:15:00Z",
        "2026-11-20T11:15:00+01:00",
    ],
)
def test_every_form_of_one_moment_is_read_as_that_moment_in_utc(adapter: TypeAdapter[datetime], value: Any) -> None:
    # GIVEN one moment written with its zone, or as an aware datetime
    # WHEN it is read
    moment = adapter.validate_python(value)
    # THEN it is that moment, held in UTC
    assert moment == MOMENT
    assert moment.tzinfo is UTC


def test_a_utc_datetime_is_kept_as_the_same_object() -> None:
    assert INSTANT.validate_python(MOMENT) is MOMENT


def test_the_same_moment_read_from_json_is_in_utc() -> None:
    assert INSTANT.validate_json('"2026-11-20T05:15:00-05:00"').tzinfo is UTC


@pytest.mark.parametrize("adapter", [INSTANT, INPUT_INSTANT])
def test_a_naive_datetime_is_refused_as_pydantic_refuses_it(adapter: TypeAdapter[datetime]) -> None:
    assert error_type(adapter, datetime(2026, 11, 20, 10, 15)) == ("timezone_aware", "Input should have timezone info")


@pytest.mark.parametrize("adapter", [INSTANT, INPUT_INSTANT])
def test_a_text_without_a_zone_is_refused_with_the_engine_s_message(adapter: TypeAdapter[datetime]) -> None:
    assert error_type(adapter, "2026-11-20T10:15:00")[0] == "timezone_aware"


@pytest.mark.parametrize(
    "value", [datetime(2201, 1, 1, tzinfo=UTC), "1999-12-31T23:59:59Z", "2200-12-31T23:00:00-05:00"]
)
def test_only_input_instants_are_held_to_the_years_2000_to_2200(value: Any) -> None:
    assert error_type(INPUT_INSTANT, value) == ("datetime_range", "must be in the years 2000 to 2200")
    assert INSTANT.validate_python(value).tzinfo is UTC
