"""Why an account holds its tier: one entry per change, made by an order (an upgrade) or the nightly review.

Each entry keeps the window's volume at the change and the threshold that decided it: for a move up,
the threshold of the tier reached; for a move down, the threshold of the tier the window no longer
reaches. A program may later change its levels; the entry keeps what was true when it was written.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from loyalty.program import Tiers
from loyalty.tiers import Buckets, TierReview, window_volume
from loyalty.types import Instant

TierChangeReason = Literal["order", "review"]


class TierHistoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: Instant
    before: str
    after: str
    reason: TierChangeReason
    order_id: str | None = None
    basis: str | None = None
    """The program's tier basis when the entry was written: the unit of ``volume`` and ``threshold``."""
    volume: Decimal | None = None
    """The window's volume at ``at`` (items, spend or orders, by the program's basis); unknown on old entries."""
    threshold: Decimal | None = None
    """The threshold that decided the change; unknown when the program no longer has the tiers."""


def upgrade_entry(
    tiers: Tiers, before: str, after: str, buckets: Buckets, placed_at: datetime, order_id: str
) -> TierHistoryEntry:
    """The entry of an order that lifted its account from ``before`` to ``after``; ``buckets`` include the order."""
    return TierHistoryEntry(
        at=placed_at,
        before=before,
        after=after,
        reason="order",
        order_id=order_id,
        basis=tiers.basis,
        volume=window_volume(tiers, buckets, placed_at),
        threshold=deciding_threshold(tiers, before, after),
    )


def review_entry(tiers: Tiers, review: TierReview, at: datetime) -> TierHistoryEntry:
    """The entry of a nightly review that changed the tier (``review.changed``)."""
    return TierHistoryEntry(
        at=at,
        before=review.before,
        after=review.after,
        reason="review",
        basis=tiers.basis,
        volume=review.volume,
        threshold=deciding_threshold(tiers, review.before, review.after),
    )


def deciding_threshold(tiers: Tiers, before: str, after: str) -> Decimal | None:
    """Up: the threshold reached (``after``'s). Down: the threshold no longer reached (``before``'s)."""
    lower, upper = tiers.level(before), tiers.level(after)
    if lower is None or upper is None:
        return None
    moved_up = tiers.rank(upper) > tiers.rank(lower)
    return Decimal((upper if moved_up else lower).threshold)
