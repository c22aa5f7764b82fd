"""Partners (distributors): the credit an order gives the partner that brought it, and its exact reverse.

SPEC section 9. The partner earns floor(eligible_amount x ``partners.points_per_unit``) points as a lot
of its own (rule ``partner``); with ``counts_toward_tier`` the order's volume also counts toward the
partner's tier. Cancels and returns take back what stands, with the floor rule of the returned order's
own lines: after a return that leaves the share s of the order, the credit stands at floor(original x s).
Pure: the adapter only stores what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from pydantic import BaseModel, ConfigDict

from loyalty.account import Account, PartnerTotals
from loyalty.decision import PartnerCredit
from loyalty.errors import FieldError, InvalidInput
from loyalty.ledger import LedgerEntry
from loyalty.money import EXACT, floor_points
from loyalty.order import Order
from loyalty.program import Program
from loyalty.tier_history import TierHistoryEntry, upgrade_entry
from loyalty.tiers import add_volume, held_level, higher, level_for, remove_volume, window_volume
from loyalty.types import Identifier, Points
from loyalty.wallet import Lot

PARTNER_RULE = "partner"


class PartnerShare(BaseModel):
    """What an order credited its partner (on the order's record): what a cancel or a return takes back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner_id: Identifier
    points: Points
    """Credited at commit; on a record's remaining view, what still stands."""
    lot_id: str | None
    volume: bool
    """True when the order's volume went to the partner's tier window (taken out again on cancel)."""


@dataclass(frozen=True)
class PartnerUpdate:
    """The partner after an order, a cancel or a return: its account and its ledger entries."""

    account: Account
    ledger: tuple[LedgerEntry, ...]
    share: PartnerShare
    tier_change: TierHistoryEntry | None = None


def check_partner(program: Program, order: Order, partner: Account | None) -> None:
    """422 on ``partner_id`` unless it names a stored partner account under a program with ``partners``.

    ``partner`` is the named account as stored, ``None`` when no such account exists.
    """
    if order.partner_id is None:
        return
    if program.partners is None:
        raise _invalid("the program has no partners", "partners_not_offered")
    if partner is None:
        raise _invalid(f"no account {order.partner_id!r}", "unknown_partner")
    if not partner.partner:
        raise _invalid(f"account {order.partner_id!r} is not a partner", "not_partner")


def partner_points(program: Program, partner: Account, eligible: Decimal, *, member: bool = True) -> int:
    """floor(eligible x points_per_unit); nothing for a partner in an excluded segment (volume still counts).

    Nothing either for the order of a customer who is not a member (SPEC section 9): it earns no one anything.
    """
    if program.partners is None or partner.excluded_from(program) or not member:
        return 0
    return floor_points(EXACT.multiply(eligible, program.partners.points_per_unit))


def preview_credit(
    program: Program, order: Order, partner: Account | None, eligible: Decimal, *, member: bool = True
) -> PartnerCredit | None:
    """What a commit would credit (checked as a commit checks it)."""
    check_partner(program, order, partner)
    if order.partner_id is None or partner is None:
        return None
    return PartnerCredit(partner_id=order.partner_id, points=partner_points(program, partner, eligible, member=member))


def credit(
    program: Program, order: Order, partner: Account, eligible: Decimal, *, member: bool = True
) -> PartnerUpdate:
    """The partner after the order it brought: the lot, the ledger entry, the volume, the totals, an upgrade."""
    partners = program.partners
    if partners is None or order.partner_id != partner.customer_id:
        raise ValueError("credit the partner the order names, under a program with partners")
    points = partner_points(program, partner, eligible, member=member)
    lot_id = f"{order.order_id}#{PARTNER_RULE}"
    expiry = program.points_expire_after_days
    lot = Lot.earned(lot_id, order.order_id, order.placed_at, points, expiry) if points > 0 else None
    wallet = partner.wallet.earn(lot) if lot else partner.wallet
    totals = partner.partner_totals
    update: dict[str, object] = {
        "wallet": wallet,
        "partner_totals": PartnerTotals(
            orders=totals.orders + 1, sales=EXACT.add(totals.sales, eligible), points=totals.points + points
        ),
    }
    tier_change = None
    tiers = program.tiers
    counted = partners.counts_toward_tier and tiers is not None
    if counted and tiers is not None:
        buckets = add_volume(partner.buckets, order.placed_at.date(), order.items, eligible)
        held = held_level(tiers, partner.tier, partner.buckets, order.placed_at)
        after = higher(tiers, held, level_for(tiers, window_volume(tiers, buckets, order.placed_at)))
        update |= {"buckets": buckets, "tier": after.name}
        if after.name != held.name:
            tier_change = upgrade_entry(tiers, held.name, after.name, buckets, order.placed_at, order.order_id)
    share = PartnerShare(
        partner_id=partner.customer_id, points=points, lot_id=lot.lot_id if lot else None, volume=counted
    )
    earned = _entry(partner.customer_id, order.placed_at, "earn", points, order.order_id, share.lot_id)
    ledger = (earned,) if lot else ()
    return PartnerUpdate(account=partner.model_copy(update=update), ledger=ledger, share=share, tier_change=tier_change)


def reverse(
    partner: Account,
    share: PartnerShare,
    *,
    order_id: str,
    placed_at: datetime,
    items: int,
    eligible: Decimal,
    whole: bool,
    ref: str | None = None,
) -> PartnerUpdate:
    """Take back ``share.points`` (spent ones as a deficit), the volume ``items``/``eligible`` and the totals.

    ``whole``: the order no longer stands (a cancel, a full return), so it leaves the partner's order count.
    """
    wallet = partner.wallet
    if share.points and share.lot_id is not None:
        wallet = wallet.take_back(share.lot_id, share.points)
    totals = partner.partner_totals
    update: dict[str, object] = {
        "wallet": wallet,
        "partner_totals": PartnerTotals(
            orders=totals.orders - (1 if whole else 0),
            sales=EXACT.subtract(totals.sales, eligible),
            points=totals.points - share.points,
        ),
    }
    if share.volume:
        orders = 1 if whole else 0  # a partial return leaves the order standing, counted (basis ``orders``)
        update["buckets"] = remove_volume(partner.buckets, placed_at.date(), items, eligible, orders=orders)
    ledger = (
        (_entry(partner.customer_id, placed_at, "reverse", -share.points, order_id, share.lot_id, ref),)
        if share.points
        else ()
    )
    return PartnerUpdate(account=partner.model_copy(update=update), ledger=ledger, share=share)


def returned_points(original: int, standing: int, kept: Fraction) -> int:
    """The credit a return takes back: from what stood down to floor(original x the share kept)."""
    return standing - floor_points(original * kept)


def _entry(
    partner_id: str,
    at: datetime,
    kind: str,
    points: int,
    order_id: str,
    lot_id: str | None,
    ref: str | None = None,
) -> LedgerEntry:
    # No buyer_id: the buyer is the customer's person, never the partner's (a GDPR erase of the customer
    # scrubs the customer's ledger only).
    return LedgerEntry.model_validate(
        {
            "customer_id": partner_id,
            "at": at,
            "kind": kind,
            "points": points,
            "rule": PARTNER_RULE,
            "order_id": order_id,
            "lot_id": lot_id,
            "ref": ref,
        }
    )


def _invalid(message: str, kind: str) -> InvalidInput:
    return InvalidInput(message, [FieldError(field="partner_id", message=message, type=kind)])
