"""Exact decimal arithmetic for amounts, and the two roundings the program allows.

Amounts are ``Decimal`` end to end. Sums and products of the bounded inputs are exact
under ``EXACT``; an operation that would round raises ``decimal.Inexact`` instead of
silently losing a cent. Only amounts shown to people are rounded (half-even, 2 places),
and points are floored where a formula says so.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, localcontext
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from contextlib import AbstractContextManager

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)

# DynamoDB keeps 38 significant digits; bounded inputs keep every exact result inside that.
EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation])
# A product of a few bounded amounts (four of them: about 90 digits) held exactly, for a ratio floored once.
_WIDE = Context(prec=200, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation])
_ROUNDING = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation])


def exact() -> AbstractContextManager[Context]:
    """A decimal context in which any rounding is an error, not a silent loss."""
    return localcontext(EXACT)


def round_money(amount: Decimal) -> Decimal:
    """Half-even to two places: the only rounding applied to amounts."""
    return _ROUNDING.quantize(amount, CENT)  # the context's method: no keyword to parse, per amount shown


def floor_points(value: Decimal | Fraction) -> int:
    """Points are whole; a formula that yields a fraction is floored once, at its end."""
    return math.floor(value)


def floor_ratio(factors: Iterable[Decimal], divisor: Decimal) -> int:
    """``floor(product of factors / divisor)``, exactly, as ``floor_points`` of the same ``Fraction`` would give.

    Decimal arithmetic in a context wide enough that the product never rounds, then integer
    division: many times cheaper than fractions, and the same number.
    """
    product = Decimal(1)
    for factor in factors:
        product = _WIDE.multiply(product, factor)
    quotient, remainder = _WIDE.divmod(product, divisor)
    # Decimal division truncates toward zero; the floor of a negative inexact ratio is one lower.
    if remainder and (remainder < 0) != (divisor < 0):
        return int(quotient) - 1
    return int(quotient)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    with exact():
        return amount * percent / HUNDRED


def plain(value: Decimal) -> str:
    """A decimal as people write it: ``Decimal('5.0')`` -> ``'5'``, never ``'5E+1'``."""
    return format(value.normalize(), "f")


def round_parts(parts: Iterable[Decimal]) -> list[Decimal]:
    """Round exact parts to cents so that the rounded parts add up to the rounded sum.

    Each part is the difference of consecutive rounded running sums, so no cent is lost
    or invented and every part is within a cent of its own exact value.
    """
    rounded: list[Decimal] = []
    running = ZERO
    shown = ZERO
    for part in parts:  # EXACT's own methods: the arithmetic of ``with exact()``, without entering it per call
        running = EXACT.add(running, part)
        cumulative = round_money(running)
        rounded.append(EXACT.subtract(cumulative, shown))
        shown = cumulative
    return rounded
