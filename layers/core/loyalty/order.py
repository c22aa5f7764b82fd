"""An order as a storefront sends it: to preview, to commit, and to replay."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from loyalty.canonical import digest
from loyalty.errors import FieldError, InvalidInput
from loyalty.money import exact, plain
from loyalty.types import Amount, Identifier, InputInstant, Points, invalid

MAX_LINES = 1000
MAX_CODES = 20
CONFIDENTIAL_LINE_FIELDS = frozenset({"unit_cost"})
"""Line fields kept in the order record (a backtest replays them) and never shown: no answer, log, event or email."""


class OrderLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: Identifier
    quantity: Annotated[int, Field(strict=True, ge=1, le=1_000_000_000)]
    unit_price: Amount
    category: Identifier | None = None
    unit_cost: Amount | None = None
    """What the line cost the seller: confidential (``CONFIDENTIAL_LINE_FIELDS``), it only feeds ``margin_points``."""

    @property
    def amount(self) -> Decimal:
        with exact():
            return self.quantity * self.unit_price


@dataclass(slots=True)
class _Totals:
    amounts: list[Decimal]
    """``OrderLine.amount`` of each line."""
    subtotal: Decimal
    items: int
    by_category: dict[str, Decimal] = field(default_factory=dict)
    """The categories asked about so far (most programs ask about none, the others about one or two)."""


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Derived values, worked out once per instance. Slots, not fields: a copy (``model_copy``) starts
    # without them, so a copy with other lines or codes never reads the original's.
    __slots__ = ("_fingerprint", "_totals")

    order_id: Identifier
    customer_id: Identifier
    placed_at: InputInstant
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    lines: Annotated[list[OrderLine], Field(min_length=1, max_length=MAX_LINES)]
    codes: Annotated[list[Identifier], Field(max_length=MAX_CODES)] = []
    redeem_points: Points = 0
    buyer_id: Identifier | None = None
    partner_id: Identifier | None = None
    """The partner (distributor) that brought the sale: another account, credited on commit."""

    @model_validator(mode="after")
    def _codes_are_distinct(self) -> Self:
        for index, code in enumerate(self.codes):
            if code in self.codes[:index]:
                raise invalid(("codes", index), "a code may appear only once in an order")
        return self

    @model_validator(mode="after")
    def _partner_is_another_account(self) -> Self:
        if self.partner_id is not None and self.partner_id == self.customer_id:
            raise invalid(("partner_id",), "the partner must be another account than the customer")
        return self

    @classmethod
    def parse(cls, payload: object) -> Order:
        try:
            return cls.model_validate(payload)
        except ValidationError as error:
            raise InvalidInput.from_validation_error(error) from error

    @property
    def subtotal(self) -> Decimal:
        return self._line_totals().subtotal

    @property
    def items(self) -> int:
        return self._line_totals().items

    def category_amount(self, category: str) -> Decimal:
        totals = self._line_totals()
        kept = totals.by_category.get(category)
        if kept is None:
            with exact():
                kept = sum(
                    [
                        amount
                        for line, amount in zip(self.lines, totals.amounts, strict=True)
                        if line.category == category
                    ],
                    Decimal(0),
                )
            totals.by_category[category] = kept
        return kept

    def _line_totals(self) -> _Totals:
        try:  # past pydantic's attribute hook, which would only slow down the first, missing, read
            kept: _Totals = object.__getattribute__(self, "_totals")
        except AttributeError:
            pass
        else:
            return kept
        lines = self.lines
        with exact():  # the sums ``sum`` makes of OrderLine.amount, from Decimal(0), in one context
            amounts = [line.quantity * line.unit_price for line in lines]
            totals = _Totals(
                amounts=amounts, subtotal=sum(amounts, Decimal(0)), items=sum([line.quantity for line in lines])
            )
        object.__setattr__(self, "_totals", totals)
        return totals

    def fingerprint(self) -> str:
        """A digest of the order's meaning: the same order sent twice, however formatted, has one fingerprint.

        Decimals are normalised (``"0.450"`` and ``0.45`` are one price) and times are taken in UTC.
        """
        try:
            kept: str = object.__getattribute__(self, "_fingerprint")
        except AttributeError:
            pass
        else:
            return kept
        digest = self._digest()
        object.__setattr__(self, "_fingerprint", digest)
        return digest

    def _digest(self) -> str:
        canonical = self.model_dump(mode="json", exclude_none=True)
        canonical["lines"] = [
            {**line, "unit_price": plain(source.unit_price)}
            | ({"unit_cost": plain(source.unit_cost)} if source.unit_cost is not None else {})
            for line, source in zip(canonical["lines"], self.lines, strict=True)
        ]
        return digest(canonical)

    def check_currency(self, currency: str) -> None:
        if self.currency != currency:
            raise InvalidInput(
                "the order's currency is not the program's",
                [FieldError(field="currency", message=f"must be {currency}, the program's currency", type="currency")],
            )
