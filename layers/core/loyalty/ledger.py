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
    order_id: str | None
    buyer_id: str | None = None
    lot_id: str | None = None
    sequence: int | None = None
    """Tells apart two expiries of one lot (points given back to a lot after it expired)."""

    @property
    def entry_id(self) -> str:
        """Unique within an account and stable across retries, so a repeated write is a no-op."""
        key = "#".join(part or "-" for part in (self.order_id, self.kind, self.rule, self.lot_id))
        return key if self.sequence is None else f"{key}#{self.sequence}"
