"""The decision a storefront receives for a cart: what it costs, what it earns, and why.

Amounts are kept rounded to cents and serialised as strings with two decimals; percents
are serialised as written (``"5"``, ``"12.5"``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer, SerializerFunctionWrapHandler, model_serializer

from loyalty.codes import RejectedCode
from loyalty.money import plain, round_money
from loyalty.types import Instant

Money = Annotated[Decimal, PlainSerializer(lambda amount: str(round_money(amount)), return_type=str)]
PercentText = Annotated[Decimal, PlainSerializer(plain, return_type=str)]


class Output(BaseModel):
    model_config = ConfigDict(frozen=True)


class Sparse(Output):
    """An output whose optional keys are left out when they do not apply (``{"kind": "free_shipping"}``)."""

    @model_serializer(mode="wrap")
    def _only_what_applies(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        return {key: value for key, value in handler(self).items() if value is not None}


class DiscountLine(Sparse):
    source: Literal["tier", "code", "referral", "first_order", "event"]
    percent: PercentText
    amount: Money
    code: str | None = None
    rule: str | None = None
    """The program rule that gave a ``first_order`` or ``event`` discount."""


class BreakdownLine(Output):
    rule: str
    points: int


class Effect(Sparse):
    kind: Literal["free_shipping", "free_product"]
    rule: str | None = None
    sku: str | None = None


class TierChange(Output):
    before: str
    after: str


class IssuedDiscount(Output):
    code: str
    percent: PercentText
    expires_at: Instant


class PartnerCredit(Output):
    partner_id: str
    points: int


class Decision(Output):
    order_id: str
    customer_id: str
    subtotal: Money
    discounts: tuple[DiscountLine, ...]
    discount_total: Money
    points_redeemed: int
    eligible_amount: Money
    points: int
    breakdown: tuple[BreakdownLine, ...]
    effects: tuple[Effect, ...]
    rejected_codes: tuple[RejectedCode, ...]
    tier: TierChange | None
    member: bool = True
    """Whether the account is a member for this order (SPEC section 9); records older than it were members."""
    partner: PartnerCredit | None = None
    """What the order credits (a preview: would credit) the partner that brought it."""
    issued_discount: IssuedDiscount | None = None
    balance: int | None = None
    program_version: int | None = None
    """The program version that scored it (``None`` for a candidate document that was never stored)."""
