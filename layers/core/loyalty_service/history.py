"""History import: past orders recorded exactly once by order_id, one transaction per account and chunk."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from loyalty.account import Account
from loyalty.history import HistoryImport, import_history
from loyalty.order import Order
from loyalty.program import Program
from loyalty.tiers import review_due_on
from loyalty_service.ports import AccountChange, AccountRecord, HistoryStore, OrderAlreadyCommitted, StaleState
from loyalty_service.programs import ProgramSource
from loyalty_service.retries import ContendedState, backoff

MAX_ATTEMPTS = 6
ORDERS_PER_WRITE = 95
"""A transaction holds at most 100 items: the order records, the account and the counters it moves (tier, liability)."""


@dataclass(frozen=True)
class ImportResult:
    imported: int
    skipped: int
    """Orders whose order_id was already stored (imported before, or committed), or repeated in the batch."""


class HistoryService:
    def __init__(self, store: HistoryStore, programs: ProgramSource, *, pause: Callable[[int], None] = backoff) -> None:
        self._store = store
        self._programs = programs
        self._pause = pause

    def import_orders(self, batch: HistoryImport) -> ImportResult:
        program = self._programs.program()
        batch.check_currency(program.currency)
        unique: dict[str, Order] = {}
        for order in batch.orders:
            unique.setdefault(order.order_id, order)
        imported = 0
        by_account: dict[str, list[Order]] = {}
        for order in unique.values():
            by_account.setdefault(order.customer_id, []).append(order)
        for orders in by_account.values():
            for start in range(0, len(orders), ORDERS_PER_WRITE):
                imported += self._import(program, orders[start : start + ORDERS_PER_WRITE])
        return ImportResult(imported=imported, skipped=len(batch.orders) - imported)

    def _import(self, program: Program, orders: Sequence[Order]) -> int:
        """Import one account's orders (those not stored yet); how many were imported."""
        for attempt in range(MAX_ATTEMPTS):
            stored = self._store.existing_orders(order.order_id for order in orders)
            new = [order for order in orders if order.order_id not in stored]
            if not new:
                return 0
            before = self._store.load_account(new[0].customer_id)
            done = import_history(program, before.account, new)
            try:
                self._store.save_import(done.records, _change(program, before, done.account, new))
            except (OrderAlreadyCommitted, StaleState):
                self._pause(attempt)
                continue
            return len(new)
        raise ContendedState


def _change(program: Program, before: AccountRecord, account: Account, orders: Sequence[Order]) -> AccountChange:
    """The account after the import; its tier review due when the imported volume leaves the window."""
    latest = max(order.placed_at for order in orders)
    review = before.tier_review_on
    tiers = program.tiers
    if tiers is not None and account.tier is not None:
        level = tiers.level(account.tier)
        due = review_due_on(tiers, level, account.buckets, latest) if level else latest.date()
        review = min((day for day in (review, due) if day is not None), default=None)
    return AccountChange(
        before=before,
        account=account,
        tier_review_on=review,
        activity_at=None,  # history is no news for a digest
        event_at=latest,
        standing_orders_added=len(orders),
    )
