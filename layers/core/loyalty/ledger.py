"""Ledger entries: every change of points, signed, naming its rule and its order. Append-only."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from loyalty.types import Identifier, Instant

EntryKind = Literal["earn", "redeem", "expire", "reverse", "adjust"]


class LedgerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: Identifier
    at: Instant
    kind: EntryKind
    points: int
    rule: str | None
    order_id: str | None = None
    """None for entries no order wrote (adjustments, claims): their `ref` names what did."""
    buyer_id: str | None = None
    lot_id: str | None = None
    sequence: int | None = None
    """Tells apart two expiries of one lot (points given back to a lot after it expired)."""
    ref: str | None = None
    """The operation that wrote the entry when it is not an order: an adjustment or a claim id."""
    reason: str | None = None
    """Why an admin adjusted the balance (adjustments only)."""
    by: str | None = None
    """The label of the admin key that made an adjustment."""

    @property
    def entry_id(self) -> str:
        """Unique within an account and stable across retries, so a repeated write is a no-op."""
        key = "#".join(part or "-" for part in (self.order_id, self.kind, self.rule, self.lot_id))
        if self.ref is not None:
            key = f"{key}#{self.ref}"
        return key if self.sequence is None else f"{key}#{self.sequence}"
