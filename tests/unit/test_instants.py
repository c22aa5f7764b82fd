"""One parser for ISO-8601 instants: an offset is required, the answer is in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.types import NaiveInstant, parse_instant


@pytest.mark.parametrize(
    "text",
    ["2026-11-20T10:15:00Z", "2026-11-20T10:15:00+00:00", "2026-11-20T11:15:00+01:00", "2026-11-20T05:15:00-05:00"],
)
def test_a_time_with_its_offset_is_the_same_instant_in_utc(text: str) -> None:
    # GIVEN one instant written with Z or with an offset
    # WHEN it is parsed
    moment = parse_instant(text)

    # THEN it is that instant, held in UTC
    assert moment == datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    assert moment.tzinfo is UTC


def test_a_time_without_an_offset_is_refused() -> None:
    # GIVEN a local time that names no instant
    # WHEN it is parsed
    # THEN it is refused, as a ValueError that says so
    with pytest.raises(NaiveInstant, match="no offset"):
        parse_instant("2026-11-20T10:15:00")
    assert issubclass(NaiveInstant, ValueError)


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00:00Z", "2026-11-20 10:15 CET"])
def test_a_text_that_is_no_iso_time_is_a_value_error(text: str) -> None:
    # GIVEN a text that is not ISO-8601
    # WHEN it is parsed
    # THEN it is refused with a ValueError, not taken for a time without an offset
    with pytest.raises(ValueError, match=r"isoformat|must be in") as refused:
        parse_instant(text)
    assert not isinstance(refused.value, NaiveInstant)


@given(
    moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)),
    minutes=st.integers(-14 * 60, 14 * 60),
)
def test_what_the_stores_write_reads_back_as_the_same_instant(moment: datetime, minutes: int) -> None:
    # GIVEN any instant, written with any offset as isoformat does, and as the stores write it (UTC, "Z")
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    written = [aware.isoformat(), aware.astimezone(UTC).isoformat().replace("+00:00", "Z")]

    # WHEN each is parsed
    # THEN each is the same instant, in UTC
    assert [parse_instant(text) for text in written] == [aware, aware]
    assert all(parse_instant(text).utcoffset() == timedelta(0) for text in written)
