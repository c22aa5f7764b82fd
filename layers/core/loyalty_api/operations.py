"""Bodies of the points operations: adjustments, the rewards catalog and claims."""

from __future__ import annotations

from datetime import datetime

from loyalty.adjustments import AdjustmentRecord
from loyalty.claims import ClaimRecord, ClaimStatus
from loyalty_api.body import Body
from loyalty_service.claims import CatalogEntry

# ---------------------------------------------------------------------- POST /admin/customers/{id}/adjustments


class AdjustmentBody(Body):
    adjustment_id: str
    customer_id: str
    points: int
    balance: int
    """The balance right after the adjustment (a replay answers the same)."""

    @classmethod
    def of(cls, record: AdjustmentRecord) -> AdjustmentBody:
        return cls(
            adjustment_id=record.adjustment_id,
            customer_id=record.customer_id,
            points=record.points,
            balance=record.balance,
        )


# ---------------------------------------------------------------------- GET /rewards


class RewardBody(Body):
    id: str
    name: str
    points: int
    stock: int | None
    remaining: int | None
    """Units left (the stock less the claims not cancelled); ``null`` for an unlimited reward."""

    @classmethod
    def of(cls, entry: CatalogEntry) -> RewardBody:
        reward = entry.reward
        return cls(id=reward.id, name=reward.name, points=reward.points, stock=reward.stock, remaining=entry.remaining)


class RewardsBody(Body):
    rewards: tuple[RewardBody, ...]


# ---------------------------------------------------------------------- claims


class ClaimBody(Body):
    """The answer of a claim (its replay answers the same), of a fulfilment and of a cancel."""

    claim_id: str
    reward_id: str
    points: int
    status: ClaimStatus
    balance: int
    """After the claim; after the cancel for a cancelled claim."""

    @classmethod
    def made(cls, record: ClaimRecord) -> ClaimBody:
        return cls(
            claim_id=record.claim_id,
            reward_id=record.reward_id,
            points=record.points,
            status="requested",
            balance=record.balance,
        )

    @classmethod
    def now(cls, record: ClaimRecord) -> ClaimBody:
        balance = record.balance_after_cancel if record.balance_after_cancel is not None else record.balance
        return cls(
            claim_id=record.claim_id,
            reward_id=record.reward_id,
            points=record.points,
            status=record.status,
            balance=balance,
        )


class ClaimLine(Body):
    claim_id: str
    reward_id: str
    name: str
    points: int
    status: ClaimStatus
    buyer_id: str | None
    requested_at: datetime
    fulfilled_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, record: ClaimRecord) -> ClaimLine:
        return cls(
            claim_id=record.claim_id,
            reward_id=record.reward_id,
            name=record.reward_name,
            points=record.points,
            status=record.status,
            buyer_id=record.buyer_id,
            requested_at=record.requested_at,
            fulfilled_at=record.fulfilled_at,
            cancelled_at=record.cancelled_at,
        )


class ClaimsBody(Body):
    claims: tuple[ClaimLine, ...]
    next_cursor: str | None
    """Pass it back as ``cursor`` for the next (older) page; ``null`` on the last page."""


# ---------------------------------------------------------------------- POST /admin/history


class ImportBody(Body):
    imported: int
    skipped: int
    """Orders whose order_id was stored already (or repeated in the call): nothing was written for them."""
