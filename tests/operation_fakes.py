"""In-memory adjustment and claim stores, refusing what the DynamoDB adapters' conditions refuse.

Like ``tests.fakes``: an account written since it was read is ``StaleState``; a record that exists
is ``AdjustmentAlreadyMade`` / ``ClaimAlreadyMade``; a unit past the stock is ``StockTaken``.
``lose(n)`` makes the next ``n`` writes fail as if a concurrent request changed the account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from loyalty.adjustments import Adjusted, AdjustmentRecord
from loyalty.claims import ClaimCancellation, Claimed, ClaimRecord
from loyalty.ledger import LedgerEntry
from loyalty_service.ports import (
    AccountChange,
    AccountRecord,
    AdjustmentAlreadyMade,
    AdjustmentContext,
    ClaimAlreadyMade,
    ClaimContext,
    StaleState,
    StockTaken,
)
from tests.fakes import InMemoryAccounts, InMemoryProgramStore


class _Losing(InMemoryAccounts):
    def __init__(self, programs: InMemoryProgramStore, *records: AccountRecord) -> None:
        super().__init__(*records)
        self.programs = programs
        self.ledger: list[LedgerEntry] = []
        self.writes = 0
        self._lost = 0

    def lose(self, times: int) -> None:
        self._lost += times

    def _attempt(self) -> None:
        self.writes += 1
        if self._lost:
            self._lost -= 1
            raise StaleState("lost to a concurrent request")


class InMemoryAdjustmentStore(_Losing):
    def __init__(self, programs: InMemoryProgramStore, *records: AccountRecord) -> None:
        super().__init__(programs, *records)
        self.records: dict[tuple[str, str], AdjustmentRecord] = {}

    def load_for_adjustment(self, customer_id: str, adjustment_id: str) -> AdjustmentContext:
        return AdjustmentContext(
            account=self.load_account(customer_id),
            record=self.records.get((customer_id, adjustment_id)),
            timeline=self.programs.current,
        )

    def save_adjustment(self, adjusted: Adjusted, account: AccountChange) -> None:
        self._attempt()
        record = adjusted.record
        if (record.customer_id, record.adjustment_id) in self.records:
            raise AdjustmentAlreadyMade
        self.check_version(account.before)
        self.records[(record.customer_id, record.adjustment_id)] = record
        self.write(account)
        self.ledger.append(adjusted.entry)


@dataclass(frozen=True)
class Page:
    claims: list[ClaimRecord]
    next_cursor: str | None


class InMemoryClaimStore(_Losing):
    def __init__(self, programs: InMemoryProgramStore, *records: AccountRecord) -> None:
        super().__init__(programs, *records)
        self.claims: dict[str, ClaimRecord] = {}
        self.claimed: dict[str, int] = {}

    def load_for_claim(self, customer_id: str, claim_id: str, reward_id: str) -> ClaimContext:
        return ClaimContext(
            account=self.load_account(customer_id),
            record=self.claims.get(claim_id),
            timeline=self.programs.current,
            claimed=self.claimed.get(reward_id, 0),
        )

    def save_claim(self, claimed: Claimed, account: AccountChange, stock: int | None) -> None:
        self._attempt()
        record = claimed.record
        if record.claim_id in self.claims:
            raise ClaimAlreadyMade
        if stock is not None and self.claimed.get(record.reward_id, 0) >= stock:
            raise StockTaken
        self.check_version(account.before)
        self.claims[record.claim_id] = record
        self.claimed[record.reward_id] = self.claimed.get(record.reward_id, 0) + 1
        self.write(account)
        self.ledger.append(claimed.entry)

    def load_claim(self, claim_id: str) -> ClaimRecord | None:
        return self.claims.get(claim_id)

    def save_fulfilment(self, record: ClaimRecord) -> None:
        self._attempt()
        if self.claims[record.claim_id].status != "requested":
            raise StaleState("claim: ConditionalCheckFailed")
        self.claims[record.claim_id] = record

    def save_claim_cancel(self, cancellation: ClaimCancellation, account: AccountChange) -> None:
        self._attempt()
        record = cancellation.record
        if self.claims[record.claim_id].status != "requested":
            raise StaleState("claim: ConditionalCheckFailed")
        self.check_version(account.before)
        self.claims[record.claim_id] = record
        self.claimed[record.reward_id] -= 1
        self.write(account)
        self.ledger.append(cancellation.entry)

    def claims_of(self, customer_id: str, *, limit: int, cursor: str | None) -> Page:
        own = sorted(
            (record for record in self.claims.values() if record.customer_id == customer_id),
            key=lambda record: (record.requested_at, record.claim_id),
            reverse=True,
        )
        start = int(cursor) if cursor else 0
        page = own[start : start + limit]
        return Page(claims=page, next_cursor=str(start + limit) if start + limit < len(own) else None)

    def claimed_units(self, reward_ids: Iterable[str]) -> dict[str, int]:
        return {reward_id: self.claimed[reward_id] for reward_id in reward_ids if reward_id in self.claimed}
