"""The nightly expiry: discount codes past their end, and point lots past theirs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from loyalty.expiry import expire_lots
from loyalty_service.ports import AccountChange, ExpiryStore, Job, StaleState

MAX_ATTEMPTS = 5
LOTS_PER_WRITE = 90
"""A transaction holds at most 100 items: the account, the report counters it moves, an entry per lot expired.

An account that earned more lots than that in a day (a company with many buyers), or whose expiry
ran late, has them expired over several writes."""
LOTS = "lots:"
CODE = "code:"


class ExpiryJob(Job):
    name = "expiry"

    def __init__(self, store: ExpiryStore) -> None:
        self._store = store

    def due(self, at: datetime) -> Iterator[str]:
        yield from (CODE + code for code in self._store.code_expiries_due(at))
        yield from (LOTS + customer_id for customer_id in self._store.lot_expiries_due(at))

    def process(self, unit: str, at: datetime) -> bool:
        if unit.startswith(CODE):
            return self._store.expire_code(unit.removeprefix(CODE), at)
        if unit.startswith(LOTS):
            return self._expire_lots(unit.removeprefix(LOTS), at)
        raise ValueError(f"not a unit of the expiry job: {unit!r}")

    def _expire_lots(self, customer_id: str, at: datetime) -> bool:
        """Expire the account's due lots, ``LOTS_PER_WRITE`` at a time: each write is whole, and a run
        stopped between two goes on where it stopped (the lots it expired are no longer due)."""
        changed = False
        conflicts = 0
        while conflicts < MAX_ATTEMPTS:
            record = self._store.load_account(customer_id)
            if not record.exists:
                return changed
            expiry = expire_lots(record.account, at, sequence=record.version, most=LOTS_PER_WRITE)
            if not expiry.ledger:
                return changed
            change = AccountChange(
                before=record,
                account=expiry.account,
                tier_review_on=record.tier_review_on,
                activity_at=at,
                event_at=None,
            )
            try:
                self._store.save_lot_expiry(change, expiry)
            except StaleState:
                conflicts += 1
                continue
            changed = True
        raise StaleState(f"account {customer_id} kept changing while its points expired")
