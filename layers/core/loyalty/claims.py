"""Claims of catalog rewards: points spent oldest lot first, one unit of stock, then fulfilled or cancelled.

A claim is ``requested`` when made; an admin marks it ``fulfilled`` (delivered: final) or
``cancelled`` (the points go back to the lots they came from and the unit back to the stock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from loyalty.account import Account
from loyalty.canonical import digest
from loyalty.errors import Conflict, NotFound
from loyalty.ledger import LedgerEntry
from loyalty.program import Reward
from loyalty.types import Identifier, Instant
from loyalty.wallet import Lot

ClaimStatus = Literal["requested", "fulfilled", "cancelled"]


class ClaimConflict(Conflict):
    """The same ``claim_id`` sent again for another reward, account or buyer."""

    code = "claim_conflict"


class OutOfStock(Conflict):
    code = "out_of_stock"

    def __init__(self, reward_id: str) -> None:
        super().__init__(f"reward {reward_id!r} is out of stock")
        self.reward_id = reward_id


class ClaimFulfilled(Conflict):
    """A delivered claim cannot be cancelled."""

    code = "claim_fulfilled"


class ClaimCancelled(Conflict):
    """A cancelled claim cannot be fulfilled."""

    code = "claim_cancelled"


class UnknownReward(NotFound):
    def __init__(self, reward_id: str) -> None:
        super().__init__(f"no reward {reward_id!r} in the active program")


class ClaimRequest(BaseModel):
    """``POST /customers/{customer_id}/claims``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    claim_id: Identifier
    reward_id: Identifier
    buyer_id: Identifier | None = None

    def fingerprint(self, customer_id: str) -> str:
        return digest(
            {
                "customer_id": customer_id,
                "claim_id": self.claim_id,
                "reward_id": self.reward_id,
                "buyer_id": self.buyer_id,
            }
        )


class ClaimRecord(BaseModel):
    """A claim as stored: its answer for a replay, what it took from which lot, and where it stands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    claim_id: Identifier
    customer_id: Identifier
    reward_id: Identifier
    reward_name: str
    buyer_id: str | None = None
    points: int
    status: ClaimStatus = "requested"
    requested_at: Instant
    fingerprint: str
    balance: int
    """The balance right after the claim."""
    taken_from: dict[str, int]
    taken_lots: tuple[Lot, ...] = ()
    """The lots ``taken_from`` drew on, as the claim found them: a cancel puts back any emptied since."""
    fulfilled_at: Instant | None = None
    cancelled_at: Instant | None = None
    balance_after_cancel: int | None = None


@dataclass(frozen=True)
class Claimed:
    record: ClaimRecord
    account: Account
    entry: LedgerEntry


@dataclass(frozen=True)
class ClaimCancellation:
    record: ClaimRecord
    account: Account
    entry: LedgerEntry


def remaining(reward: Reward, claimed: int) -> int | None:
    """Units left: the stock less the claims not cancelled; ``None`` for an unlimited reward."""
    return None if reward.stock is None else max(reward.stock - claimed, 0)


def claim_reward(account: Account, reward: Reward, request: ClaimRequest, *, claimed: int, at: datetime) -> Claimed:
    """Spend the reward's points from the oldest lots and record the claim.

    ``claimed``: the units claimed and not cancelled so far. Raises ``OutOfStock`` when none is
    left, ``InsufficientPoints`` when the balance does not cover the reward.
    """
    if remaining(reward, claimed) == 0:
        raise OutOfStock(reward.id)
    wallet, taken = account.wallet.redeem(reward.points)
    after = account.model_copy(update={"wallet": wallet})
    record = ClaimRecord(
        claim_id=request.claim_id,
        customer_id=account.customer_id,
        reward_id=reward.id,
        reward_name=reward.name,
        buyer_id=request.buyer_id,
        points=reward.points,
        requested_at=at,
        fingerprint=request.fingerprint(account.customer_id),
        balance=after.balance,
        taken_from=taken,
        taken_lots=account.wallet.held(taken),
    )
    entry = LedgerEntry(
        customer_id=account.customer_id,
        at=at,
        kind="redeem",
        points=-reward.points,
        rule=reward.id,
        order_id=None,
        buyer_id=request.buyer_id,
        ref=request.claim_id,
    )
    return Claimed(record=record, account=after, entry=entry)


def replayed(record: ClaimRecord, customer_id: str, request: ClaimRequest) -> ClaimRecord:
    """The stored claim for a request sent again; ``ClaimConflict`` when it asks for something else."""
    if record.fingerprint != request.fingerprint(customer_id):
        raise ClaimConflict(f"claim {request.claim_id!r} was made for another reward, account or buyer")
    return record


def cancel_claim(account: Account, record: ClaimRecord, *, at: datetime) -> ClaimCancellation:
    """Give the points back to the lots they came from (paying any deficit first)."""
    if record.status == "fulfilled":
        raise ClaimFulfilled(f"claim {record.claim_id!r} was fulfilled and cannot be cancelled")
    if record.status != "requested":
        raise ValueError(f"claim {record.claim_id} is {record.status}")
    wallet = account.wallet.give_back(record.taken_from, record.taken_lots)
    after = account.model_copy(update={"wallet": wallet})
    cancelled = record.model_copy(
        update={"status": "cancelled", "cancelled_at": at, "balance_after_cancel": after.balance}
    )
    entry = LedgerEntry(
        customer_id=account.customer_id,
        at=at,
        kind="reverse",
        points=record.points,
        rule=record.reward_id,
        order_id=None,
        buyer_id=record.buyer_id,
        ref=record.claim_id,
    )
    return ClaimCancellation(record=cancelled, account=after, entry=entry)


def fulfil_claim(record: ClaimRecord, *, at: datetime) -> ClaimRecord:
    if record.status == "cancelled":
        raise ClaimCancelled(f"claim {record.claim_id!r} was cancelled and cannot be fulfilled")
    if record.status == "fulfilled":
        return record
    return record.model_copy(update={"status": "fulfilled", "fulfilled_at": at})
