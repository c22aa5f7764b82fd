"""A buyer in its own process: the orders function loaded cold, commits sent when every buyer is ready.

Each process is a separate interpreter (spawned, not forked), so the commits race for real on the cores
and meet only at moto's server, as simultaneous Lambda invocations meet at DynamoDB.
"""

from __future__ import annotations

from multiprocessing.synchronize import Barrier
from typing import Any

from tests.support.api import order
from tests.support.events import api_event
from tests.support.lambdas import call, load_function


def buyer(barrier: Barrier, buyer_index: int, rounds: int) -> list[tuple[str, int, Any, int, Any]]:
    """Per round: wait for the others, commit a new order, then send it again; (order_id, statuses, bodies)."""
    orders = load_function("functions/orders")
    answers = []
    for round_index in range(rounds):
        body = order(order_id=f"SO-{round_index}-{buyer_index}")
        barrier.wait(timeout=120)
        first = call(orders, api_event("orders-commit", body=body))
        again = call(orders, api_event("orders-commit", body=body))
        answers.append((body["order_id"], first.status, first.body, again.status, again.body))
    return answers
