"""The bodies of POST /orders/{order_id}/cancel and /returns (the decision itself is the core's model)."""

from __future__ import annotations

from loyalty_api.body import Body


class Cancelled(Body):
    order_id: str
    points_reversed: int
    balance: int


class ReturnBody(Body):
    """The answer of a return (its replay answers the same)."""

    order_id: str
    return_id: str
    points_reversed: int
    """Earned points this return took back."""
    points_restored: int
    """Redeemed points this return gave back to the lots they came from."""
    balance: int
    """The balance right after the return."""
