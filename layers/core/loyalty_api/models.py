"""Response bodies that exist only at the HTTP edge (the core's models serve the rest)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Cancelled(BaseModel):
    model_config = ConfigDict(frozen=True)

    order_id: str
    points_reversed: int
    balance: int
