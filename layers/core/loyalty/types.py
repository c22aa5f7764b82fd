"""Constrained scalar types shared by the program, the order and the account models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints
from pydantic_core import PydanticCustomError

Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""Ids, SKUs, categories and codes: 1-200 characters."""

Points = Annotated[int, Field(strict=True, ge=0)]
"""Whole points; a JSON ``1.5`` or ``true`` is refused rather than coerced."""

Amount = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]
"""A non-negative amount. The digit bound keeps every total within DynamoDB's 38-digit numbers."""

Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4)]

Multiplier = Annotated[Decimal, Field(ge=1, le=1000, decimal_places=4)]
"""At least 1: a multiplier never takes points away."""


def _to_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


Instant = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A moment with its offset, held in UTC so that days, buckets and keys are UTC days everywhere."""


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
