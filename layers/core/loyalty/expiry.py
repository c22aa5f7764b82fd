"""Expiring an account's point lots at a moment: the new state and one ``expire`` entry per lot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.account import Account
from loyalty.ledger import LedgerEntry

EXPIRY_RULE = "expiry"


@dataclass(frozen=True)
class LotExpiry:
    account: Account
    ledger: tuple[LedgerEntry, ...]

    @property
    def points(self) -> int:
        return -sum(entry.points for entry in self.ledger)


def expire_lots(account: Account, moment: datetime, *, sequence: int, most: int | None = None) -> LotExpiry:
    """Expire what remains of every lot ending at or before ``moment`` (at most ``most`` lots, the oldest).

    Entries are dated at each lot's end, not at ``moment``: a run that catches up a missed night
    tells the same story as the night it missed. ``sequence`` (the state version they apply to)
    keeps two expiries of one lot distinct.
    """
    wallet, expired = account.wallet.expire(moment, most)
    ledger = tuple(
        LedgerEntry(
            customer_id=account.customer_id,
            at=item.lot.expires_at or moment,
            kind="expire",
            points=-item.points,
            rule=EXPIRY_RULE,
            order_id=item.lot.order_id,
            lot_id=item.lot.lot_id,
            sequence=sequence,
        )
        for item in expired
    )
    return LotExpiry(account=account.model_copy(update={"wallet": wallet}), ledger=ledger)
