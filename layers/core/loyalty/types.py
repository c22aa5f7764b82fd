"""Constrained scalar types shared by the program, the order and the account models."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""Ids, SKUs, categories and codes: 1-200 characters."""

Points = Annotated[int, Field(strict=True, ge=0)]
"""Whole points; a JSON ``1.5`` or ``true`` is refused rather than coerced."""

_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _decimal_input(value: Any) -> Any:
    """A JSON number or a decimal string (``"0.45"``, ``"4.5E-1"``); not ``"1_000"``, ``" 5"``, ``"NaN"``, ``true``."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise PydanticCustomError("decimal_type", 'must be a decimal number or a string such as "0.45"')
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value):
        raise PydanticCustomError("decimal_parsing", 'must be a decimal written with digits, as "0.45"')
    return value


DecimalInput = BeforeValidator(_decimal_input)
"""Put after a decimal's ``Field``: every amount, percent and multiplier is read this way."""

Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4), DecimalInput]
"""A non-negative amount. The digit bound keeps every total within DynamoDB's 38-digit numbers."""

Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4), DecimalInput]

Multiplier = Annotated[Decimal, Field(ge=1, le=1000, decimal_places=4), DecimalInput]
"""At least 1: a multiplier never takes points away."""

Flag = Annotated[bool, Field(strict=True)]
"""A JSON ``true`` or ``false``: ``"yes"``, ``"true"``, ``0`` and ``1`` are refused rather than guessed."""


def _instant_input(value: Any) -> Any:
    """An ISO-8601 text with its offset (or a ``datetime``): a number is not taken for a Unix time."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "must be an ISO-8601 time with a zone, as 2026-11-20T10:15:00Z")
    try:
        return parse_instant(value)
    except NaiveInstant:
        raise PydanticCustomError("timezone_aware", "must name its zone (Z or an offset such as +01:00)") from None
    except ValueError:
        raise PydanticCustomError(
            "datetime_from_date_parsing", "must be an ISO-8601 time such as 2026-11-20T10:15:00Z"
        ) from None


def _instant(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    """``_instant_input``, then pydantic's aware-datetime check, then UTC: in one call, and at once for what needs none.

    A UTC ``datetime`` (every time the engine works out, and every text once read) is already all
    three steps' answer; a text is read by ``parse_instant``, which refuses what the check would.
    """
    if type(value) is datetime and value.tzinfo is UTC:
        return value
    if type(value) is str:
        moment: datetime = _instant_input(value)
        return moment
    checked: datetime = handler(_instant_input(value))
    return checked.astimezone(UTC)


Instant = Annotated[AwareDatetime, WrapValidator(_instant)]
"""A moment with its offset, held in UTC so that days, buckets and keys are UTC days everywhere."""

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2201, 1, 1, tzinfo=UTC)


def _within_years(moment: datetime) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise PydanticCustomError("datetime_range", "must be in the years 2000 to 2200")
    return moment


def _input_instant(value: Any, handler: ValidatorFunctionWrapHandler) -> datetime:
    return _within_years(_instant(value, handler))


InputInstant = Annotated[AwareDatetime, WrapValidator(_input_instant)]
"""A time a caller sends (an order's ``placed_at``, an NPS answer, a program's dates): years 2000-2200.

Times the engine works out from them (a lot's expiry, a code's end) are plain ``Instant``: they may
lie past 2200, but never before 2000, so every stored time has a four-digit year.
"""


class NaiveInstant(ValueError):
    """An ISO-8601 time without an offset: which instant it names is not known."""


def parse_instant(text: str) -> datetime:
    """The instant an ISO-8601 text names (``Z`` or an offset required), in UTC.

    ``ValueError`` for a text that is not ISO-8601, ``NaiveInstant`` (a ``ValueError``) for one without an offset.
    """
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise NaiveInstant(f"{text!r} has no offset: which instant it names is not known")
    return moment.astimezone(UTC)


def invalid(at: tuple[str | int, ...], message: str) -> PydanticCustomError:
    """A validation error that points below the model that raised it (``at`` is relative to it).

    Cross-field checks run on a whole model, yet the person fixing the document needs the
    field: ``tiers.levels.2.threshold``, not ``tiers``.
    """
    return PydanticCustomError("invalid", message, {"at": at})
