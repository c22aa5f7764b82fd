"""The body of POST /orders/{order_id}/cancel (the decision itself is the core's model)."""

from __future__ import annotations

from loyalty_api.body import Body


class Cancelled(Body):
    order_id: str
    points_reversed: int
    balance: int
