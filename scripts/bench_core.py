#!/usr/bin/env python3
"""Speed of the rules core on one core: decisions a second, and backtest orders a second per side.

Usage (from the repository root; `scripts/bench` prints the same table in its report):

    .venv/bin/python scripts/bench_core.py              # the table; exit 1 if a target is missed
    .venv/bin/python scripts/bench_core.py --repeats 9  # more repeats (medians are shown)

1. `loyalty.scoring.score` for a 20-line order (two categories, one of them multiplied) on the SPEC
   program, for a Silver account with a year of volume and lots. Every decision scores a fresh copy
   of the order, as a request does (an order works out its totals once per instance).
2. `loyalty.backtest.backtest` of the SPEC program against a candidate over 20,000 generated orders
   of 500 accounts (1 to 10 lines each; a year of them is the warm-up of the year compared), fresh
   copies for each repeat. Orders a second per side = 2 x orders / seconds (both sides replay all).

Times are the CPU time of this process (`time.process_time`): one thread, one core, and other work
on the machine does not count against the core. Each figure is the median of the repeats of one run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from loyalty.account import Account
from loyalty.backtest import backtest, warmup_start
from loyalty.order import Order
from loyalty.program import Program
from loyalty.scoring import score
from loyalty.tiers import VolumeBucket
from loyalty.wallet import Lot, Wallet
from tests.unit.builders import spec_document

DECISIONS_TARGET = 20_000.0
BACKTEST_TARGET = 10_000.0
DECISIONS_PER_REPEAT = 2_000
ORDERS = 20_000
ACCOUNTS = 500
WINDOW = (date(2026, 1, 1), date(2026, 12, 31))
CATEGORIES = ("fasteners", "tools", "paint", None)

Row = tuple[str, float, float, str]


def spec_program() -> Program:
    return Program.parse(spec_document())


def candidate_program() -> Program:
    """The SPEC program with one point and a half per euro and Silver from 800 items."""
    document = spec_document()
    document["points_per_unit"] = "1.5"
    document["tiers"]["levels"][1]["threshold"] = 800
    return Program.parse(document)


def silver_account() -> Account:
    """Silver from a year of volume, with a lot per month and a first order over a year ago."""
    buckets = tuple(
        VolumeBucket(day=date(2026, month, 5), items=120, spend=Decimal("1500.50")) for month in range(1, 11)
    )
    lots = tuple(
        Lot(
            lot_id=f"SO-{month}",
            order_id=f"SO-{month}",
            earned_at=datetime(2026, month, 5, tzinfo=UTC),
            expires_at=datetime(2027, month, 5, tzinfo=UTC),
            points=1500,
            remaining=1500,
        )
        for month in range(1, 11)
    )
    return Account(
        customer_id="ACME",
        tier="Silver",
        buckets=buckets,
        lifetime_spend=Decimal("15005"),
        wallet=Wallet(lots=lots),
        first_order_at=datetime(2025, 3, 1, tzinfo=UTC),
        anniversaries_rewarded=1,
    )


def twenty_line_order() -> Order:
    lines = [
        {
            "sku": f"SKU-{index}",
            "quantity": 3 + index,
            "unit_price": f"{12 + index}.{index:02d}",
            "category": "fasteners" if index % 3 == 0 else "tools",
        }
        for index in range(20)
    ]
    return Order.parse(
        {
            "order_id": "SO-2001",
            "customer_id": "ACME",
            "placed_at": "2026-11-20T10:15:00Z",
            "currency": "EUR",
            "lines": lines,
        }
    )


def generated_orders(count: int = ORDERS, accounts: int = ACCOUNTS, seed: int = 7) -> list[Order]:
    """Orders spread evenly from the warm-up's first day to the window's last; accounts differ in size."""
    rng = random.Random(seed)  # a fixed seed: every run replays the same orders
    first = datetime.combine(warmup_start(spec_program(), candidate_program(), WINDOW[0]), datetime.min.time(), UTC)
    seconds = int((datetime.combine(WINDOW[1] + timedelta(days=1), datetime.min.time(), UTC) - first).total_seconds())
    scale = [rng.choice((0.3, 1, 1, 2, 5)) for _ in range(accounts)]
    orders = []
    for index in range(count):
        account = rng.randrange(accounts)
        lines: list[dict[str, Any]] = [
            {
                "sku": f"SKU-{rng.randrange(300)}",
                "quantity": max(1, int(rng.randint(1, 40) * scale[account])),
                "unit_price": f"{rng.randint(50, 20000) / 100:.2f}",
                "category": rng.choice(CATEGORIES),
            }
            for _ in range(rng.randint(1, 10))
        ]
        payload = {
            "order_id": f"SO-{index:06d}",
            "customer_id": f"C{account:04d}",
            "placed_at": first + timedelta(seconds=rng.randrange(seconds)),
            "currency": "EUR",
            "lines": lines,
        }
        orders.append(Order.model_validate(payload))
    orders.sort(key=lambda order: (order.placed_at, order.order_id))
    return orders


def cpu_seconds(work: Callable[[], object]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def decisions_per_second(repeats: int) -> float:
    program, account, order = spec_program(), silver_account(), twenty_line_order()
    for _ in range(200):  # warm: imports, the program's rulebook, the interpreter's caches
        score(program, account, order.model_copy(), {})
    rates = []
    for _ in range(repeats):
        fresh = [order.model_copy() for _ in range(DECISIONS_PER_REPEAT)]

        def decide(fresh: list[Order] = fresh) -> None:
            for copy in fresh:  # each decision is dropped once made, as a request drops it once answered
                score(program, account, copy, {})

        rates.append(DECISIONS_PER_REPEAT / cpu_seconds(decide))
    return statistics.median(rates)


def backtest_orders_per_second(repeats: int, orders: list[Order] | None = None) -> float:
    baseline, candidate = spec_program(), candidate_program()
    orders = orders if orders is not None else generated_orders()
    start, end = WINDOW
    rates = []
    for _ in range(repeats):
        fresh = [order.model_copy() for order in orders]
        seconds = cpu_seconds(
            lambda fresh=fresh: backtest(baseline, candidate, fresh, start=start, end=end, baseline_version=1)
        )
        rates.append(2 * len(fresh) / seconds)
    return statistics.median(rates)


def core_rows(repeats: int = 5) -> list[Row]:
    """(measure, median measured, target, unit) for each of the core's speed targets."""
    return [
        ("score: a 20-line order, Silver account, SPEC program", decisions_per_second(repeats), DECISIONS_TARGET,
         "decisions/s"),
        (f"backtest: {ORDERS:,} orders of {ACCOUNTS} accounts, warm-up included", backtest_orders_per_second(repeats),
         BACKTEST_TARGET, "orders/s per side"),
    ]  # fmt: skip


def passed(row: Row) -> bool:
    return row[1] >= row[2]


def core_table(rows: list[Row]) -> list[str]:
    lines = ["| measure | median | target | unit | result |", "|---|---:|---:|---|---|"]
    lines += [
        f"| {name} | {measured:,.0f} | >= {target:,.0f} | {unit} | {'PASS' if passed(row) else 'FAIL'} |"
        for row in rows
        for name, measured, target, unit in (row,)
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="repeats per measure; the median is shown")
    arguments = parser.parse_args(argv)
    rows = core_rows(arguments.repeats)
    print("\n".join(core_table(rows)))
    return 0 if all(passed(row) for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
