"""Points held in lots: earned per order, spent oldest first, expired per lot, given back on cancel.

Invariant: ``balance == sum(lot.remaining) - deficit``, and a deficit exists only while every
lot is empty. A deficit appears when a cancelled order takes back points that were already
spent; points earned or given back later pay it off first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from operator import attrgetter

from pydantic import BaseModel, ConfigDict

from loyalty.errors import InsufficientPoints
from loyalty.types import Identifier, Instant, Points


class Lot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lot_id: Identifier
    order_id: Identifier
    earned_at: Instant
    expires_at: Instant | None
    points: Points
    remaining: Points

    def expired_at(self, moment: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= moment

    @classmethod
    def earned(cls, lot_id: str, order_id: str, at: datetime, points: int, expire_after_days: int | None) -> Lot:
        """Points earned at ``at``, whole, expiring ``expire_after_days`` later (never, for ``None``)."""
        expires_at = at + timedelta(days=expire_after_days) if expire_after_days is not None else None
        return cls(
            lot_id=lot_id, order_id=order_id, earned_at=at, expires_at=expires_at, points=points, remaining=points
        )


_AGE = attrgetter("earned_at", "lot_id")
"""Oldest first; the lot id orders lots earned at the same moment."""


class Expiry(BaseModel):
    """The part of one lot that expired."""

    model_config = ConfigDict(frozen=True)

    lot: Lot
    points: Points


class Wallet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lots: tuple[Lot, ...] = ()
    deficit: Points = 0

    @property
    def balance(self) -> int:
        return sum([lot.remaining for lot in self.lots]) - self.deficit

    def oldest_first(self) -> list[Lot]:
        return sorted(self.lots, key=_AGE)

    def earn(self, lot: Lot) -> Wallet:
        """Add a lot; its points first pay off any deficit."""
        paid = min(self.deficit, lot.remaining)
        added = lot.model_copy(update={"remaining": lot.remaining - paid}) if paid else lot
        return Wallet(lots=(*self.lots, added), deficit=self.deficit - paid)

    def redeem(self, points: int) -> tuple[Wallet, dict[str, int]]:
        """Spend ``points`` from the oldest lots; returns the new wallet and what each lot gave.

        Spending nothing always succeeds, even while a deficit makes the balance negative.
        """
        if points == 0:
            return self, {}
        if points > self.balance:
            raise InsufficientPoints(points, self.balance)
        taken: dict[str, int] = {}
        wanted = points
        for lot in self.oldest_first():
            if wanted == 0:
                break
            take = min(lot.remaining, wanted)
            if take:
                taken[lot.lot_id] = take
                wanted -= take
        return self._less(taken), taken

    def give_back(self, taken: Mapping[str, int]) -> Wallet:
        """Return redeemed points to the lots they came from (paying any deficit first)."""
        missing = set(taken) - {lot.lot_id for lot in self.lots}
        if missing:
            raise ValueError(f"lots not loaded: {sorted(missing)}")
        deficit = self.deficit
        lots = []
        for lot in self.lots:
            returned = taken.get(lot.lot_id, 0)
            paid = min(deficit, returned)
            deficit -= paid
            lots.append(lot.model_copy(update={"remaining": lot.remaining + returned - paid}) if returned else lot)
        return Wallet(lots=tuple(lots), deficit=deficit)

    def take_back(self, lot_id: str, points: int) -> Wallet:
        """Remove ``points`` earned into ``lot_id``: from that lot, then the oldest others, then as a deficit.

        The emptied lot stays in the wallet: a later order may have redeemed from it, and cancelling
        that order gives those points back to it (paying the deficit this left first), so cancels
        succeed in any order and the balance stays the sum of the ledger.
        """
        own = next((lot for lot in self.lots if lot.lot_id == lot_id), None)
        wanted = points
        taken: dict[str, int] = {}
        if own is not None:
            taken[own.lot_id] = min(own.remaining, wanted)
            wanted -= taken[own.lot_id]
        for lot in self.oldest_first():
            if wanted == 0:
                break
            if lot.lot_id != lot_id and lot.remaining:
                taken[lot.lot_id] = min(lot.remaining, wanted)
                wanted -= taken[lot.lot_id]
        less = self._less(taken)
        return Wallet(lots=less.lots, deficit=less.deficit + wanted)

    def expire(self, moment: datetime) -> tuple[Wallet, list[Expiry]]:
        """Expire what remains of every lot whose end is at or before ``moment``."""
        due = [lot for lot in self.lots if lot.remaining and lot.expires_at is not None and lot.expires_at <= moment]
        if not due:
            return self, []
        expired = [Expiry(lot=lot, points=lot.remaining) for lot in sorted(due, key=_AGE)]
        return self._less({item.lot.lot_id: item.points for item in expired}), expired

    def expiring(self, moment: datetime, until: datetime) -> list[Lot]:
        """Lots with points left that end after ``moment`` and at or before ``until``, soonest first."""
        due = [
            lot
            for lot in self.lots
            if lot.remaining and lot.expires_at is not None and moment < lot.expires_at <= until
        ]
        return sorted(due, key=lambda lot: (lot.expires_at, lot.lot_id))

    def _less(self, taken: Mapping[str, int]) -> Wallet:
        take = taken.get
        lots = [  # a list, then a tuple: quicker than a generator for a wallet's few dozen lots
            lot.model_copy(update={"remaining": lot.remaining - taken[lot.lot_id]}) if take(lot.lot_id) else lot
            for lot in self.lots
        ]
        return Wallet(lots=tuple(lots), deficit=self.deficit)
