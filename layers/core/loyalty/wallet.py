"""Points held in lots: earned per order, spent oldest first, expired per lot, given back on cancel.

Invariant: ``balance == sum(lot.remaining) - deficit``, every lot held has points left, and a
deficit exists only while no lot is held. A deficit appears when a cancelled order takes back
points that were already spent; points earned or given back later pay it off first.

The wallet is stored in the account item, which every request reads and DynamoDB caps at 400 KB,
so it holds only what can still change a balance, and at most ``MOST_LOTS`` lots:

- A lot leaves the wallet once it is empty (spent, expired or taken back). Whatever redeemed from
  it keeps a copy of it as it was (``held``), so a give-back can put the lot back (``give_back``).
- Past ``MOST_LOTS`` lots (an account that earns thousands of times within the points' lifetime
  and never redeems), two lots earned one after the other become one, expiring when the later of
  them does (``_bounded``): some points then live a little longer than earned, never shorter, and
  nothing is lost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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

MOST_LOTS = 500
"""Lots a wallet holds at most: about 40 KB of the account item (a stored lot takes about 80 bytes)."""


@dataclass(frozen=True, slots=True)
class Expiry:
    """The part of one lot that expired (a result the wallet works out, so nothing to validate)."""

    lot: Lot
    points: int


class Wallet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lots: tuple[Lot, ...] = ()
    """Every lot with points left, in no particular order (``oldest_first`` sorts them)."""
    deficit: Points = 0

    @property
    def balance(self) -> int:
        return sum([lot.remaining for lot in self.lots]) - self.deficit

    def oldest_first(self) -> list[Lot]:
        return sorted(self.lots, key=_AGE)

    def held(self, lot_ids: Iterable[str]) -> tuple[Lot, ...]:
        """The lots of ``lot_ids`` as they are now: what a redemption keeps so a give-back can restore them."""
        wanted = set(lot_ids)
        return tuple(lot for lot in self.lots if lot.lot_id in wanted) if wanted else ()

    def earn(self, lot: Lot) -> Wallet:
        """Add a lot; its points first pay off any deficit (a lot the deficit takes whole is not kept)."""
        paid = min(self.deficit, lot.remaining)
        if paid == lot.remaining:
            return Wallet(lots=self.lots, deficit=self.deficit - paid)
        added = lot.model_copy(update={"remaining": lot.remaining - paid}) if paid else lot
        return Wallet(lots=_bounded((*self.lots, added)), deficit=self.deficit - paid)

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

    def give_back(self, taken: Mapping[str, int], drawn: Iterable[Lot] = ()) -> Wallet:
        """Return redeemed points to the lots they came from, oldest first, paying any deficit first.

        ``drawn``: the lots as the redemption found them (``held``); a lot emptied and gone since
        comes back from its copy, with its own age and end, holding only the points returned.
        """
        held = {lot.lot_id: lot for lot in self.lots}
        gone = {lot.lot_id: lot.model_copy(update={"remaining": 0}) for lot in drawn if lot.lot_id not in held}
        missing = sorted(lot_id for lot_id in taken if lot_id not in held and lot_id not in gone)
        if missing:
            raise ValueError(f"lots neither held nor drawn: {missing}")
        targets = [held.get(lot_id) or gone[lot_id] for lot_id, points in taken.items() if points]
        deficit = self.deficit
        returned: dict[str, Lot] = {}
        for lot in sorted(targets, key=_AGE):
            points = taken[lot.lot_id]
            paid = min(deficit, points)
            deficit -= paid
            if points > paid:
                returned[lot.lot_id] = lot.model_copy(update={"remaining": lot.remaining + points - paid})
        lots = [returned.pop(lot.lot_id, lot) for lot in self.lots]
        return Wallet(lots=_bounded((*lots, *returned.values())), deficit=deficit)

    def take_back(self, lot_id: str, points: int) -> Wallet:
        """Remove ``points`` earned into ``lot_id``: from that lot, then the oldest others, then as a deficit.

        The lot may be gone already (spent, expired, or merged into an older one). A later order
        may have redeemed from it: cancelling that order brings it back from its copy and pays the
        deficit this left first, so cancels succeed in any order and the balance stays the sum of
        the ledger.
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

    def expire(self, moment: datetime, most: int | None = None) -> tuple[Wallet, list[Expiry]]:
        """Expire what remains of every lot whose end is at or before ``moment``: those lots leave the wallet.

        ``most``: expire only that many of them, the oldest; the others stay, still due.
        """
        lots = self.lots
        due = [lot for lot in lots if (end := lot.expires_at) is not None and end <= moment and lot.remaining]
        if not due:
            return self, []
        due.sort(key=_AGE)
        if most is not None:
            del due[most:]
        gone = set(map(id, due))
        kept = tuple([lot for lot in lots if id(lot) not in gone])
        return Wallet(lots=kept, deficit=self.deficit), [Expiry(lot, lot.remaining) for lot in due]

    def next_end(self) -> datetime | None:
        """The earliest end of a lot with points left: no expiry changes the wallet before it."""
        return min((lot.expires_at for lot in self.lots if lot.remaining and lot.expires_at is not None), default=None)

    def expiring(self, moment: datetime, until: datetime) -> list[Lot]:
        """Lots with points left that end after ``moment`` and at or before ``until``, soonest first."""
        due = [
            lot
            for lot in self.lots
            if lot.remaining and lot.expires_at is not None and moment < lot.expires_at <= until
        ]
        return sorted(due, key=lambda lot: (lot.expires_at, lot.lot_id))

    def _less(self, taken: Mapping[str, int]) -> Wallet:
        """The wallet with ``taken`` removed from its lots; the lots emptied leave it."""
        take = taken.get
        lots = []
        for lot in self.lots:
            points = take(lot.lot_id, 0)
            if not points:
                lots.append(lot)
            elif points < lot.remaining:
                lots.append(lot.model_copy(update={"remaining": lot.remaining - points}))
        return Wallet(lots=tuple(lots), deficit=self.deficit)


def _bounded(lots: tuple[Lot, ...]) -> tuple[Lot, ...]:
    """At most ``MOST_LOTS`` lots: while there are more, two lots next to each other in age become one.

    The pair chosen is the one whose merging lengthens points' lives least (points x time: the
    points of the lot ending first live on until the other ends), the oldest such pair on a tie. The
    merged lot keeps the older's id and age, holds both's points and ends when the later of them does.
    """
    if len(lots) <= MOST_LOTS:
        return lots
    oldest = sorted(lots, key=_AGE)
    while len(oldest) > MOST_LOTS:
        index = min(range(len(oldest) - 1), key=lambda at: _life_added(oldest[at], oldest[at + 1]))
        oldest[index : index + 2] = [_merged(oldest[index], oldest[index + 1])]
    return tuple(oldest)


def _life_added(older: Lot, younger: Lot) -> float:
    """Point-seconds of life that merging the two gives the points of whichever ends first."""
    if older.expires_at is None or younger.expires_at is None:
        return 0.0 if older.expires_at == younger.expires_at else math.inf
    gap = (younger.expires_at - older.expires_at).total_seconds()
    return gap * older.remaining if gap >= 0 else -gap * younger.remaining


def _merged(older: Lot, younger: Lot) -> Lot:
    ends = older.expires_at, younger.expires_at
    return older.model_copy(
        update={
            "points": older.points + younger.points,
            "remaining": older.remaining + younger.remaining,
            "expires_at": None if ends[0] is None or ends[1] is None else max(ends[0], ends[1]),
        }
    )
