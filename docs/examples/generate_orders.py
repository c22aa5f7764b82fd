"""Sample orders for ``loyalty backtest --orders``: one ``POST /orders`` body a line (JSONL), the same every run.

Usage (from the repository root, with the dev venv):

    .venv/bin/python docs/examples/generate_orders.py > /tmp/orders.jsonl
    .venv/bin/python docs/examples/generate_orders.py --orders 500 --accounts 40 > /tmp/small.jsonl

B2B accounts of very different sizes (a few large buyers, many small ones) order an industrial
supplier's catalogue from 2025-07-01 to 2026-12-31: half a year of tier warm-up before 2026, then a
year to compare, the demo program's year-end event (2026-12-01 to 12-08) included. ``--seed``
gives another, equally plausible, history.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime, timedelta

FIRST_DAY = datetime(2025, 7, 1, tzinfo=UTC)
LAST_DAY = datetime(2026, 12, 31, tzinfo=UTC)

# sku, category, unit price (EUR), typical quantity of one line
CATALOGUE = [
    ("BOLT-M8", "fasteners", "0.45", 400),
    ("BOLT-M10", "fasteners", "0.62", 300),
    ("NUT-M8", "fasteners", "0.30", 500),
    ("WASHER-M8", "fasteners", "0.08", 800),
    ("ANCHOR-M10", "fasteners", "3.20", 60),
    ("SCREW-WOOD-5X60", "fasteners", "0.12", 600),
    ("DRILL-HSS-6", "tools", "12.90", 12),
    ("DRILL-BIT-SET", "tools", "39.00", 4),
    ("TORQUE-WRENCH", "tools", "84.00", 2),
    ("CUTTING-DISC-125", "tools", "1.90", 50),
    ("GLOVE-NITRILE-L", "safety", "3.20", 60),
    ("SAFETY-GLASSES", "safety", "6.50", 20),
    ("EAR-DEFENDERS", "safety", "18.00", 8),
    ("HI-VIS-VEST", "safety", "7.80", 15),
    ("CABLE-TIES-300", "electrical", "2.50", 40),
    ("CABLE-NYM-3X1.5", "electrical", "0.95", 200),
    ("JUNCTION-BOX", "electrical", "4.40", 25),
    ("LED-PANEL-60", "electrical", "32.00", 6),
    ("SILICONE-CLEAR", "chemicals", "5.60", 24),
    ("THREAD-LOCKER", "chemicals", "9.80", 10),
]


def generate(orders: int, accounts: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    customers = [f"ACC-{number:04d}" for number in range(1, accounts + 1)]
    # A few large buyers, many small ones: sizes (how much each order holds) and frequencies from a Pareto tail.
    size = {customer: min(12.0, rng.paretovariate(1.6)) for customer in customers}
    weight = [min(20.0, rng.paretovariate(1.2)) for _ in customers]
    span = (LAST_DAY - FIRST_DAY).total_seconds() + 86_400
    bodies = []
    for _ in range(orders):
        customer = rng.choices(customers, weights=weight)[0]
        placed_at = FIRST_DAY + timedelta(seconds=int(rng.random() * span))
        placed_at = placed_at.replace(hour=rng.choice(range(6, 19)))  # business hours, UTC
        lines = []
        for sku, category, price, typical in rng.sample(CATALOGUE, k=rng.choice((1, 1, 2, 2, 3, 4))):
            quantity = max(1, round(typical * size[customer] * rng.uniform(0.4, 1.6)))
            lines.append({"sku": sku, "quantity": quantity, "unit_price": price, "category": category})
        body: dict[str, object] = {
            "order_id": "",
            "customer_id": customer,
            "placed_at": placed_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "currency": "EUR",
            "lines": lines,
        }
        if rng.random() < 0.6:
            body["buyer_id"] = f"buyer{rng.randint(1, 3)}@{customer.lower()}.example"
        bodies.append(body)
    bodies.sort(key=lambda body: str(body["placed_at"]))
    return [{**body, "order_id": f"SO-{number:06d}"} for number, body in enumerate(bodies, start=1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=3000, help="how many orders (default 3000)")
    parser.add_argument("--accounts", type=int, default=200, help="how many accounts order (default 200)")
    parser.add_argument("--seed", type=int, default=2026, help="another seed, another history")
    arguments = parser.parse_args(argv)
    for body in generate(arguments.orders, arguments.accounts, arguments.seed):
        sys.stdout.write(json.dumps(body, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
