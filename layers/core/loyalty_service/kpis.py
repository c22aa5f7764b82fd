"""The KPIs of a window: validated, counted by the store, computed by the core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from loyalty.errors import FieldError, InvalidInput
from loyalty.kpis import AccountHistory, KpiFacts, KpiReport, WindowOrder, history_up_to, kpi_report
from loyalty.returns import remaining_view
from loyalty_service.ports import KpiStore
from loyalty_service.programs import ProgramSource

MAX_WINDOW_DAYS = 366
DEFAULT_WINDOW_DAYS = 30


class KpiService:
    def __init__(
        self, store: KpiStore, programs: ProgramSource, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._store = store
        self._programs = programs
        self._clock = clock

    def report(self, start: date | None = None, end: date | None = None) -> KpiReport:
        """The KPIs of ``start`` to ``end`` (UTC days, both included); by default the last 30 full days."""
        start, end = self.window(start, end)
        program = self._programs.program()
        orders = self._store.orders_placed(start, end)
        standing = [remaining_view(record) for record in orders]  # revenue and rules net of returns
        window_orders = [
            WindowOrder(
                customer_id=record.customer_id,
                standing=record.status == "committed",
                eligible_amount=record.eligible_amount,
                decision=record.decision,
                referral_code=record.referral_code,
            )
            for record in standing
        ]
        active = {order.customer_id for order in window_orders if order.standing}
        facts = KpiFacts(
            start=start,
            end=end,
            orders=window_orders,
            histories=self._histories(active, end),
            nps_scores=self._store.nps_scores(start, end),
            ledger_points=self._store.ledger_points(start, end),
            referral_codes_issued=self._store.referral_codes_created(start, end),
            liability_points=self._store.points_liability(),
            tier_accounts=self._store.accounts_per_tier(),
        )
        return kpi_report(program, facts)

    def window(self, start: date | None, end: date | None) -> tuple[date, date]:
        today = self._clock().astimezone(UTC).date()
        end = end or (start + timedelta(days=DEFAULT_WINDOW_DAYS - 1) if start else today - timedelta(days=1))
        start = start or end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
        if start > end:
            raise _invalid("from", "must not be after to")
        if (end - start).days + 1 > MAX_WINDOW_DAYS:
            raise _invalid("to", f"a window holds at most {MAX_WINDOW_DAYS} days")
        return start, end

    def _histories(self, customer_ids: set[str], end: date) -> dict[str, AccountHistory]:
        """Each account's standing orders and revenue up to the window's end."""
        later = self._store.orders_after(customer_ids, end)
        return {
            customer_id: history_up_to(
                totals.standing_orders,
                totals.lifetime_spend,
                [
                    (record.status == "committed", remaining_view(record).eligible_amount)
                    for record in later.get(customer_id, [])
                ],
            )
            for customer_id, totals in self._store.account_totals(customer_ids).items()
        }


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(
        f"the KPI window is not valid: {field} {message}", [FieldError(field=field, message=message, type="window")]
    )
