"""History import: orders placed before the engine was used, so that tiers, anniversaries and spend start right.

An imported order is stored as a committed order that earned nothing, redeemed nothing and issued
no code: its decision has no breakdown, its eligible amount is its subtotal (no discount applied).
It counts toward tier volume (upgrading at once, as an order does), the first-order date and
lifetime spend; anniversaries of the first order that passed within the history count as passed,
so the anniversary bonus is earned from the next one on. It writes no ledger entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from loyalty.account import Account, anniversaries_at
from loyalty.buyers import added
from loyalty.commit import OrderRecord
from loyalty.decision import Decision
from loyalty.errors import FieldError, InvalidInput
from loyalty.money import EXACT
from loyalty.order import Order
from loyalty.program import Program
from loyalty.tiers import add_volume, held_level, higher, level_for, window_volume

MAX_IMPORT = 100
"""Orders per call: one call stays well inside a Lambda's time and a transaction's 100 items per account."""


class HistoryImport(BaseModel):
    """``POST /admin/history``: past orders, as a storefront would have sent them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    orders: Annotated[list[Order], Field(min_length=1, max_length=MAX_IMPORT)]

    def check_currency(self, currency: str) -> None:
        """Every order in the program's currency; the error names the order's index."""
        wrong = [
            FieldError(
                field=f"orders.{index}.currency", message=f"must be {currency}, the program's currency", type="currency"
            )
            for index, order in enumerate(self.orders)
            if order.currency != currency
        ]
        if wrong:
            raise InvalidInput("imported orders must be in the program's currency", wrong)


@dataclass(frozen=True)
class Imported:
    account: Account
    records: tuple[OrderRecord, ...]


def imported_record(order: Order) -> OrderRecord:
    """The stored record of an imported order: committed, ``imported``, with a decision that earned nothing."""
    subtotal = order.subtotal
    decision = Decision(
        order_id=order.order_id,
        customer_id=order.customer_id,
        subtotal=subtotal,
        discounts=(),
        discount_total=Decimal(0),
        points_redeemed=0,
        eligible_amount=subtotal,
        points=0,
        breakdown=(),
        effects=(),
        rejected_codes=(),
        tier=None,
    )
    return OrderRecord(
        order_id=order.order_id,
        customer_id=order.customer_id,
        buyer_id=order.buyer_id,
        placed_at=order.placed_at,
        fingerprint=order.fingerprint(),
        decision=decision,
        items=order.items,
        eligible_amount=subtotal,
        redeemed_from={},
        lot_id=None,
        used_codes=(),
        issued_code=None,
        referral_code=None,
        referrer_id=None,
        milestones=(),
        anniversary=None,
        anniversaries_before=0,
        order=order.model_copy(update={"codes": [], "redeem_points": 0}),
        imported=True,
    )


def import_history(program: Program, account: Account, orders: Sequence[Order]) -> Imported:
    """The account after its past ``orders`` (all of it, none already imported) and their records."""
    if not orders:
        return Imported(account=account, records=())
    if any(order.customer_id != account.customer_id for order in orders):
        raise ValueError(f"every order imported into {account.customer_id} must be its own")
    buckets = account.buckets
    spend = account.lifetime_spend
    buyers = account.buyers
    for order in orders:
        buckets = add_volume(buckets, order.placed_at.date(), order.items, order.subtotal)
        spend = EXACT.add(spend, order.subtotal)
        # the KPIs count imported orders (committed records, revenue their subtotal): so do the buyer totals
        buyers = added(
            buyers,
            order.buyer_id,
            placed_at=order.placed_at,
            revenue=order.subtotal,
            points_earned=0,
            points_redeemed=0,
        )
    first = min(order.placed_at for order in orders)
    latest = max(order.placed_at for order in orders)
    first_order_at = min(account.first_order_at or first, first)
    tier = account.tier
    tiers = program.tiers
    if tiers is not None:
        reached = level_for(tiers, window_volume(tiers, buckets, latest))
        tier = higher(tiers, held_level(tiers, account.tier, account.buckets, latest), reached).name
    after = account.model_copy(
        update={
            "buckets": buckets,
            "lifetime_spend": spend,
            "first_order_at": first_order_at,
            "anniversaries_rewarded": max(account.anniversaries_rewarded, anniversaries_at(first_order_at, latest)),
            "tier": tier,
            "buyers": buyers,
        }
    )
    return Imported(account=after, records=tuple(imported_record(order) for order in orders))
