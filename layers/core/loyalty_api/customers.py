"""Bodies of the /customers routes: the account summary, the ledger, NPS answers, erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field

from loyalty.buyers import BuyerTotals
from loyalty.decision import Money, PercentText
from loyalty.ledger import EntryKind, LedgerEntry
from loyalty.membership import MembershipStatus
from loyalty.money import round_money
from loyalty.tier_history import TierChangeReason, TierHistoryEntry
from loyalty.tiers import TierProgress
from loyalty.types import InputInstant
from loyalty_api.body import Body
from loyalty_service.customers import AccountSummary
from loyalty_service.surveys import Score

# ---------------------------------------------------------------------- GET /customers/{customer_id}


class TierProgressBody(Body):
    basis: str
    volume: int | str
    """An integer for the ``quantity`` (items) and ``orders`` bases; an amount (two-decimal string) for ``spend``."""
    next_tier: str | None
    remaining: int | str | None
    """What the window still lacks for ``next_tier``, in the same unit; ``null`` at the highest tier."""

    @classmethod
    def of(cls, progress: TierProgress) -> TierProgressBody:
        def shown(value: Any) -> int | str:
            return str(round_money(value)) if progress.basis == "spend" else int(value)

        return cls(
            basis=progress.basis,
            volume=shown(progress.volume),
            next_tier=progress.next_tier,
            remaining=None if progress.remaining is None else shown(progress.remaining),
        )


class ExpiringPoints(Body):
    points: int
    expires_at: datetime


class ActiveDiscount(Body):
    code: str
    percent: PercentText
    expires_at: datetime


class ReferralStatus(Body):
    code: str
    referrals: int


class MembershipBody(Body):
    member: bool
    """A member at the time of the request: ``since <= now`` and (``until`` null or ``now < until``)."""
    since: datetime | None
    """When the membership began (the request that enrolled, or the ``since`` it sent to backdate it)."""
    until: datetime | None
    """When it ends, exclusive (``null``: no end); ``{"member": false}`` sets it to the time of the request."""

    @classmethod
    def of(cls, status: MembershipStatus) -> MembershipBody:
        return cls(member=status.member, since=status.since, until=status.until)


class PartnerTotalsBody(Body):
    orders: int
    """Standing orders the partner brought."""
    sales: Money
    """Their eligible amounts, returns deducted."""
    points: int
    """The partner credit they still stand for."""


class AccountSummaryBody(Body):
    customer_id: str
    segment: str | None
    balance: int
    points_value: Money
    tier: str | None
    tier_progress: TierProgressBody | None
    expiring: tuple[ExpiringPoints, ...]
    discounts: tuple[ActiveDiscount, ...]
    referral: ReferralStatus | None
    membership: MembershipBody
    """In an ``open`` program every account is a member from its first order: ``{"member": true, "since":
    first order (``null`` before it), "until": null}``, whatever was stored; otherwise the stored membership
    (none: ``{"member": false, "since": null, "until": null}``)."""
    partner: PartnerTotalsBody | None = None
    """A partner's brought orders (``null`` for an account that is not a partner)."""

    @classmethod
    def of(cls, summary: AccountSummary) -> AccountSummaryBody:
        referral = summary.referral
        return cls(
            customer_id=summary.customer_id,
            segment=summary.segment,
            balance=summary.balance,
            points_value=summary.points_value,
            tier=summary.tier,
            tier_progress=TierProgressBody.of(summary.progress) if summary.progress else None,
            expiring=tuple(
                ExpiringPoints(points=lot.remaining, expires_at=lot.expires_at)
                for lot in summary.expiring
                if lot.expires_at is not None
            ),
            discounts=tuple(
                ActiveDiscount(code=code.code, percent=code.percent, expires_at=code.expires_at)
                for code in summary.discounts
            ),
            referral=ReferralStatus(code=referral.code, referrals=referral.referrals) if referral else None,
            membership=MembershipBody.of(summary.membership),
            partner=PartnerTotalsBody(orders=totals.orders, sales=totals.sales, points=totals.points)
            if (totals := summary.partner)
            else None,
        )


# ---------------------------------------------------------------------- GET /customers/{customer_id}/ledger


class LedgerLine(Body):
    at: datetime
    kind: EntryKind
    points: int
    rule: str | None
    order_id: str | None
    buyer_id: str | None = None
    """The person at the company whose order or claim it was (``null`` when none, or after an erasure)."""
    ref: str | None = None
    """The return, adjustment or claim that wrote the entry."""

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerLine:
        return cls(
            at=entry.at,
            kind=entry.kind,
            points=entry.points,
            rule=entry.rule,
            order_id=entry.order_id,
            buyer_id=entry.buyer_id,
            ref=entry.ref,
        )


class LedgerBody(Body):
    entries: tuple[LedgerLine, ...]
    next_cursor: str | None
    """Pass it back as ``cursor`` for the next (older) page; ``null`` on the last page."""


# ---------------------------------------------------------------------- GET /customers/{customer_id}/tier-history


class TierHistoryLine(Body):
    model_config = ConfigDict(frozen=True, serialize_by_alias=True)

    at: datetime
    before: str = Field(serialization_alias="from")
    after: str = Field(serialization_alias="to")
    reason: TierChangeReason
    """``order``: the order ``order_id`` lifted the window over ``threshold``; ``review``: the nightly review."""
    order_id: str | None
    volume: int | str | None
    """The window's volume at the change, in the unit of ``tier_progress.volume`` (``null`` when unknown)."""
    threshold: int | str | None
    """Up: the threshold reached; down: the threshold the window no longer reached."""

    @classmethod
    def of(cls, entry: TierHistoryEntry) -> TierHistoryLine:
        def shown(value: Any) -> int | str | None:
            if value is None:
                return None
            return str(round_money(value)) if entry.basis == "spend" else int(value)

        return cls(
            at=entry.at,
            before=entry.before,
            after=entry.after,
            reason=entry.reason,
            order_id=entry.order_id,
            volume=shown(entry.volume),
            threshold=shown(entry.threshold),
        )


class TierHistoryBody(Body):
    entries: tuple[TierHistoryLine, ...]
    next_cursor: str | None
    """Pass it back as ``cursor`` for the next (older) page; ``null`` on the last page."""


# ---------------------------------------------------------------------- GET /customers/{customer_id}/buyers


class BuyerLine(Body):
    buyer_id: str | None
    """The person at the company who placed the orders; ``null`` for orders without one (and after an erasure)."""
    orders: int
    revenue: Money
    """The eligible amounts of the buyer's standing orders, after returns (the KPIs' revenue)."""
    points_earned: int
    points_redeemed: int
    last_order_at: datetime | None
    """The latest ``placed_at`` of the buyer's orders (a cancel does not move it back)."""

    @classmethod
    def of(cls, buyer: BuyerTotals) -> BuyerLine:
        return cls(
            buyer_id=buyer.buyer_id,
            orders=buyer.orders,
            revenue=buyer.revenue,
            points_earned=buyer.points_earned,
            points_redeemed=buyer.points_redeemed,
            last_order_at=buyer.last_order_at,
        )


class BuyersBody(Body):
    buyers: tuple[BuyerLine, ...]
    """Buyers with standing orders, by ``buyer_id``; the orders without a buyer last."""


# ---------------------------------------------------------------------- POST /customers/{customer_id}/nps


class NpsRequest(Body):
    model_config = ConfigDict(frozen=True, extra="forbid")

    score: Score
    answered_at: InputInstant | None = None
    """When the customer answered; the time of the request when left out."""


# ---------------------------------------------------------------------- DELETE /customers/{customer_id}


class Erased(Body):
    customer_id: str
    erased: bool
