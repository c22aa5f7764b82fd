"""Buyers of a company account (SPEC section 9): per-buyer totals over standing orders, and who may redeem.

A company account has many buyers (``buyer_id`` on orders). Each buyer's totals are kept on the
account by the writes that change them, never recomputed from the ledger: a commit adds its order,
a cancel takes out what the order still held, a return what it took off. The totals of orders placed
without a buyer are kept under ``buyer_id`` ``None``, which also receives every buyer's totals when the
account's personal data is erased.

``last_order_at`` is the latest ``placed_at`` of the buyer's committed orders: the account keeps no list
of each buyer's orders (it would grow with them), so a cancel cannot move it back to an earlier order.
A buyer is listed while it has a standing order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from loyalty.errors import Conflict
from loyalty.money import EXACT
from loyalty.types import Identifier, Instant, Points

MAX_REDEEMERS = 100
"""Buyers a profile may name as redeemers: a company's purchasing department, not its staff list."""


class BuyerMayNotRedeem(Conflict):
    """The profile names who may spend the company's points, and this buyer is not one of them."""

    code = "buyer_may_not_redeem"


class BuyerTotals(BaseModel):
    """One buyer's standing orders on a company account: how many, their eligible amount, their points."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    buyer_id: Identifier | None
    orders: Points = 0
    revenue: Decimal = Decimal(0)
    """The eligible amounts of the standing orders, after returns: what the KPIs call revenue."""
    points_earned: Points = 0
    points_redeemed: Points = 0
    last_order_at: Instant | None = None


Buyers = tuple[BuyerTotals, ...]
"""Sorted by ``buyer_id``, the orders without a buyer (``None``) last."""


def added(
    buyers: Buyers,
    buyer_id: str | None,
    *,
    placed_at: datetime,
    revenue: Decimal,
    points_earned: int,
    points_redeemed: int,
) -> Buyers:
    """The totals after one more standing order of ``buyer_id``."""
    current = _find(buyers, buyer_id)
    latest = placed_at if current.last_order_at is None else max(current.last_order_at, placed_at)
    updated = current.model_copy(
        update={
            "orders": current.orders + 1,
            "revenue": EXACT.add(current.revenue, revenue),
            "points_earned": current.points_earned + points_earned,
            "points_redeemed": current.points_redeemed + points_redeemed,
            "last_order_at": latest,
        }
    )
    return _replaced(buyers, updated)


def taken_off(
    buyers: Buyers,
    buyer_id: str | None,
    *,
    revenue: Decimal,
    points_earned: int,
    points_redeemed: int,
    ends_order: bool,
) -> Buyers:
    """The totals after a cancel (``ends_order``: the order no longer stands) or a return took this off."""
    current = _find(buyers, buyer_id)
    updated = current.model_copy(
        update={
            "orders": max(current.orders - (1 if ends_order else 0), 0),
            "revenue": EXACT.subtract(current.revenue, revenue),
            "points_earned": max(current.points_earned - points_earned, 0),
            "points_redeemed": max(current.points_redeemed - points_redeemed, 0),
        }
    )
    return _replaced(buyers, updated)


def anonymized(buyers: Buyers) -> Buyers:
    """Every buyer's totals merged into ``buyer_id`` ``None``: what a GDPR erasure leaves (ids go, totals stay)."""
    if not buyers or (len(buyers) == 1 and buyers[0].buyer_id is None):
        return buyers
    merged = BuyerTotals(
        buyer_id=None,
        orders=sum(buyer.orders for buyer in buyers),
        revenue=_sum(buyer.revenue for buyer in buyers),
        points_earned=sum(buyer.points_earned for buyer in buyers),
        points_redeemed=sum(buyer.points_redeemed for buyer in buyers),
        last_order_at=max((buyer.last_order_at for buyer in buyers if buyer.last_order_at), default=None),
    )
    return (merged,)


def standing(buyers: Buyers) -> Buyers:
    """The buyers with at least one standing order, in answer order."""
    return tuple(buyer for buyer in buyers if buyer.orders > 0)


def may_redeem(redeemers: Sequence[str] | None, buyer_id: str | None) -> bool:
    """``None``: anyone may spend the company's points; a list (even empty): only the buyers it names."""
    return redeemers is None or (buyer_id is not None and buyer_id in redeemers)


def check_may_redeem(redeemers: Sequence[str] | None, buyer_id: str | None) -> None:
    """``BuyerMayNotRedeem`` unless ``buyer_id`` may spend the company's points."""
    if not may_redeem(redeemers, buyer_id):
        who = "an order without a buyer" if buyer_id is None else f"buyer {buyer_id!r}"
        raise BuyerMayNotRedeem(f"{who} may not redeem this account's points")


def _find(buyers: Buyers, buyer_id: str | None) -> BuyerTotals:
    return next((buyer for buyer in buyers if buyer.buyer_id == buyer_id), None) or BuyerTotals(buyer_id=buyer_id)


def _replaced(buyers: Buyers, updated: BuyerTotals) -> Buyers:
    others = [buyer for buyer in buyers if buyer.buyer_id != updated.buyer_id]
    return tuple(sorted((*others, updated), key=_order))


def _order(buyer: BuyerTotals) -> tuple[bool, str]:
    return (buyer.buyer_id is None, buyer.buyer_id or "")


def _sum(amounts: Iterable[Decimal]) -> Decimal:
    total = Decimal(0)
    for amount in amounts:
        total = EXACT.add(total, amount)
    return total
