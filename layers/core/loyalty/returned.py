"""What one return of some of an order's lines leaves on the order's record (``OrderRecord.returns``).

Kept apart from ``loyalty.returns`` (which computes returns from order records) so that the record
can hold its returns without the two modules importing each other.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from loyalty.types import Identifier, Points


class ReturnRecord(BaseModel):
    """One return as carried out: its answer for a replay, and what it took off the order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    return_id: Identifier
    fingerprint: str
    quantities: dict[str, int]
    """Per sku, the quantity this return gave back."""
    amount: Decimal
    """Returned quantity x unit_price, summed."""
    items: Points
    eligible_amount: Decimal
    """The part of the order's eligible amount (its volume and lifetime spend) this return removed."""
    reversed_lines: dict[str, int]
    """Per breakdown rule, the earned points this return reversed (positive)."""
    restored_to: dict[str, int]
    """Per lot, the redeemed points this return gave back."""
    points_reversed: Points
    points_restored: Points
    partner_points: Points = 0
    """The partner credit this return took back (positive)."""
    balance: int
    """The account's balance right after the return."""
