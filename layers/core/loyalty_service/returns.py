"""Returns of some lines of an order: exactly once by ``return_id``, whatever the retries and the races."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from loyalty.codes import DiscountCode
from loyalty.errors import NotFound
from loyalty.returned import ReturnRecord
from loyalty.returns import ReturnRequest, replayed_return, return_lines
from loyalty_service.orders import load_with_partner, reversed_change
from loyalty_service.ports import AccountChange, OrderStore, StaleState
from loyalty_service.retries import ContendedState, backoff

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class ReturnOutcome:
    order_id: str
    result: ReturnRecord
    created: bool
    """False when the same return was made before: its stored answer."""


class ReturnService:
    def __init__(self, store: OrderStore, *, pause: Callable[[int], None] = backoff) -> None:
        self._store = store
        self._pause = pause

    def return_lines(self, order_id: str, request: ReturnRequest) -> ReturnOutcome:
        for attempt in range(MAX_ATTEMPTS):
            record = self._store.load_order(order_id)
            if record is None:
                raise NotFound(f"no order {order_id!r}")
            stored = replayed_return(record, request)
            if stored is not None:
                return ReturnOutcome(order_id=order_id, result=stored, created=False)
            account, partner = load_with_partner(self._store, record)
            issued = self._store.load_code(record.issued_code) if record.issued_code else None
            returned = return_lines(
                account.account,
                record,
                request,
                issued if isinstance(issued, DiscountCode) else None,
                partner.account if partner else None,
            )
            change = AccountChange(
                before=account,
                account=returned.account,
                tier_review_on=record.placed_at.date(),  # volume left the window: review at the next run
                activity_at=record.placed_at,
                event_at=None,
                cancelled_order=record.order_id if returned.full else None,
                standing_orders_added=-1 if returned.full else 0,
            )
            try:
                self._store.save_return(
                    returned,
                    change,
                    reversed_change(partner, returned.partner, record),
                    returns_before=len(record.returns),
                )
            except StaleState:
                self._pause(attempt)
                continue
            return ReturnOutcome(order_id=order_id, result=returned.result, created=True)
        raise ContendedState
