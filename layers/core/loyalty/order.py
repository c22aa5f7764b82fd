"""An order as a storefront sends it: to preview, to commit, and to replay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from loyalty.canonical import digest
from loyalty.errors import FieldError, InvalidInput
from loyalty.money import ZERO, exact, plain
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


@dataclass(frozen=True, slots=True)
class OrderTotals:
    """An order's totals, worked out in one pass over its lines: every formula reads them from here."""

    amounts: tuple[Decimal, ...]
    """``OrderLine.amount`` of each line, in line order."""
    subtotal: Decimal
    items: int
    by_category: Mapping[str, Decimal]
    """The amount of each category the lines name (a line without one counts in none)."""

    def category_amount(self, category: str) -> Decimal:
        return self.by_category.get(category, ZERO)


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
    def totals(self) -> OrderTotals:
        """Worked out on first read and kept: an order is immutable, and a decision reads its totals often."""
        try:  # past pydantic's attribute hook, which would only slow down the first, missing, read
            kept: OrderTotals = object.__getattribute__(self, "_totals")
        except AttributeError:
            pass
        else:
            return kept
        totals = _totals_of(self.lines)
        object.__setattr__(self, "_totals", totals)
        return totals

    @property
    def subtotal(self) -> Decimal:
        return self.totals.subtotal

    @property
    def items(self) -> int:
        return self.totals.items

    def category_amount(self, category: str) -> Decimal:
        return self.totals.category_amount(category)

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


def _totals_of(lines: Iterable[OrderLine]) -> OrderTotals:
    """Each line's amount, and their sums by order and by category, exactly: the running sums that ``sum`` of
    ``OrderLine.amount`` from ``Decimal(0)`` makes, in one pass and one context rather than one per figure."""
    amounts = []
    subtotal = ZERO
    items = 0
    by_category: dict[str, Decimal] = {}
    with exact():
        for line in lines:
            quantity = line.quantity
            amount = quantity * line.unit_price
            amounts.append(amount)
            subtotal += amount
            items += quantity
            category = line.category
            if category is not None:
                by_category[category] = by_category.get(category, ZERO) + amount
    return OrderTotals(amounts=tuple(amounts), subtotal=subtotal, items=items, by_category=by_category)
