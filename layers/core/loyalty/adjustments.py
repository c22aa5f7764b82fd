"""Adjustments: points an admin adds or removes by hand, with a reason, exactly once per adjustment id.

Positive points are a new lot that expires as earned points do; negative ones are spent from the
oldest lots first and may not exceed the balance. One ``adjust`` ledger entry records either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from loyalty.account import Account
from loyalty.canonical import digest
from loyalty.errors import Conflict
from loyalty.ledger import LedgerEntry
from loyalty.program import Program
from loyalty.types import Identifier, Instant, invalid
from loyalty.wallet import Lot

ADJUSTMENT_RULE = "adjustment"
MAX_ADJUSTMENT = 10**12
"""Bound on the points of one adjustment: totals stay far inside DynamoDB's 38-digit numbers."""


class AdjustmentConflict(Conflict):
    """The same ``adjustment_id`` sent again with other points or another reason."""

    code = "adjustment_conflict"


class Adjustment(BaseModel):
    """``POST /admin/customers/{customer_id}/adjustments``: what the admin asks for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adjustment_id: Identifier
    points: Annotated[int, Field(strict=True, ge=-MAX_ADJUSTMENT, le=MAX_ADJUSTMENT)]
    """Signed: positive adds a lot, negative takes points from the oldest lots."""
    reason: Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if self.points == 0:
            raise invalid(("points",), "an adjustment of 0 points changes nothing")
        return self

    def fingerprint(self, customer_id: str) -> str:
        """The adjustment's meaning: the same request sent twice has one fingerprint."""
        return digest(
            {
                "customer_id": customer_id,
                "adjustment_id": self.adjustment_id,
                "points": self.points,
                "reason": self.reason,
            }
        )


class AdjustmentRecord(BaseModel):
    """What an adjustment leaves behind: its answer for a replay, and who made it when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adjustment_id: Identifier
    customer_id: Identifier
    points: int
    reason: str
    by: str
    at: Instant
    fingerprint: str
    balance: int
    """The balance right after the adjustment."""
    lot_id: str | None = None
    taken_from: dict[str, int] = {}
    """For points removed: what each lot gave."""


@dataclass(frozen=True)
class Adjusted:
    record: AdjustmentRecord
    account: Account
    entry: LedgerEntry


def adjustment_lot_id(adjustment_id: str) -> str:
    """Lot ids of orders are their order ids; an adjustment's lot is named apart from them."""
    return f"{ADJUSTMENT_RULE}#{adjustment_id}"


def adjust(program: Program, account: Account, adjustment: Adjustment, *, at: datetime, by: str) -> Adjusted:
    """The account after the adjustment, its record and its ledger entry.

    Raises ``InsufficientPoints`` when the points to remove exceed the balance.
    """
    wallet = account.wallet
    lot_id: str | None = None
    taken: dict[str, int] = {}
    if adjustment.points > 0:
        lot = Lot.earned(
            adjustment_lot_id(adjustment.adjustment_id),
            adjustment.adjustment_id,
            at,
            adjustment.points,
            program.points_expire_after_days,
        )
        wallet = wallet.earn(lot)
        lot_id = lot.lot_id
    else:
        wallet, taken = wallet.redeem(-adjustment.points)
    after = account.model_copy(update={"wallet": wallet})
    record = AdjustmentRecord(
        adjustment_id=adjustment.adjustment_id,
        customer_id=account.customer_id,
        points=adjustment.points,
        reason=adjustment.reason,
        by=by,
        at=at,
        fingerprint=adjustment.fingerprint(account.customer_id),
        balance=after.balance,
        lot_id=lot_id,
        taken_from=taken,
    )
    entry = LedgerEntry(
        customer_id=account.customer_id,
        at=at,
        kind="adjust",
        points=adjustment.points,
        rule=ADJUSTMENT_RULE,
        order_id=None,
        lot_id=lot_id,
        ref=adjustment.adjustment_id,
        reason=adjustment.reason,
        by=by,
    )
    return Adjusted(record=record, account=after, entry=entry)


def replayed(record: AdjustmentRecord, adjustment: Adjustment) -> AdjustmentRecord:
    """The stored adjustment for a request sent again; ``AdjustmentConflict`` when it asks for something else."""
    if record.fingerprint != adjustment.fingerprint(record.customer_id):
        raise AdjustmentConflict(f"adjustment {adjustment.adjustment_id!r} was made with other points or reason")
    return record
