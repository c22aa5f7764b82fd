"""A backtest through the API: a candidate program against the version in force, on the stored orders."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from loyalty.backtest import BacktestResult, backtest, warmup_start
from loyalty.errors import FieldError, InvalidInput
from loyalty.program import Program
from loyalty_service.ports import OrderArchive
from loyalty_service.programs import ProgramSource

MAX_API_ORDERS = 100_000
"""What one function call replays within its time; larger windows go through the ``loyalty backtest`` command."""


class WindowTooLarge(InvalidInput):
    code = "window_too_large"

    def __init__(self, orders: int) -> None:
        super().__init__(
            f"the window holds {orders} orders, more than the {MAX_API_ORDERS} an API call replays; "
            "run `loyalty backtest --program FILE --from DAY --to DAY` instead",
            [FieldError(field="to", message=f"at most {MAX_API_ORDERS} orders per call", type="window_too_large")],
        )


class BacktestService:
    def __init__(self, archive: OrderArchive, programs: ProgramSource, *, max_orders: int = MAX_API_ORDERS) -> None:
        self._archive = archive
        self._programs = programs
        self._max_orders = max_orders

    def run(
        self,
        document: Mapping[str, Any],
        start: date,
        end: date,
        *,
        on_order: Callable[[], None] | None = None,
    ) -> BacktestResult:
        """Replay the window under the version in force (baseline) and ``document`` (never stored)."""
        candidate = parse_candidate(document)
        if start > end:
            raise InvalidInput(
                "the window is not valid", [FieldError(field="from", message="must not be after to", type="window")]
            )
        placed = self._archive.count_placed(start, end)
        if placed > self._max_orders:
            raise WindowTooLarge(placed)
        active = self._programs.active()
        orders = self._archive.standing_orders(warmup_start(active.program, candidate, start), end)
        return backtest(
            active.program, candidate, orders, start=start, end=end, baseline_version=active.version, on_order=on_order
        )


def parse_candidate(document: Mapping[str, Any]) -> Program:
    """The candidate validated as a PUT would validate it, its field paths under ``program``."""
    try:
        return Program.parse(document)
    except InvalidInput as error:
        details = [detail.model_copy(update={"field": f"program.{detail.field}"}) for detail in error.details]
        raise InvalidInput("the candidate program is not valid", details) from error
