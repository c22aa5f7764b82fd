"""The rewards catalog and its claims: exactly once by claim id, never past the stock, whatever the races."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from loyalty.account import Account
from loyalty.claims import (
    ClaimRecord,
    ClaimRequest,
    OutOfStock,
    UnknownReward,
    cancel_claim,
    claim_reward,
    fulfil_claim,
    remaining,
    replayed,
)
from loyalty.errors import NotFound
from loyalty.membership import NotMember
from loyalty.program import Reward
from loyalty_service.ports import (
    AccountChange,
    AccountRecord,
    ClaimAlreadyMade,
    ClaimPage,
    ClaimStore,
    StaleState,
    StockTaken,
)
from loyalty_service.programs import ProgramSource
from loyalty_service.retries import ContendedState, backoff

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class CatalogEntry:
    reward: Reward
    remaining: int | None


@dataclass(frozen=True)
class Claimed:
    record: ClaimRecord
    created: bool
    """False when the same claim had been made before: the stored answer is returned."""


class ClaimService:
    def __init__(
        self,
        store: ClaimStore,
        programs: ProgramSource,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pause: Callable[[int], None] = backoff,
    ) -> None:
        self._store = store
        self._programs = programs
        self._clock = clock
        self._pause = pause

    def catalog(self) -> list[CatalogEntry]:
        """The active program's rewards, in its order, with the units left."""
        program = self._programs.program()
        claimed = self._store.claimed_units(reward.id for reward in program.rewards)
        return [CatalogEntry(reward, remaining(reward, claimed.get(reward.id, 0))) for reward in program.rewards]

    def claim(self, customer_id: str, request: ClaimRequest) -> Claimed:
        """Take the reward's points and one unit of stock; a replay answers the stored claim."""
        for attempt in range(MAX_ATTEMPTS):
            context = self._store.load_for_claim(customer_id, request.claim_id, request.reward_id)
            if context.record is not None:
                return Claimed(record=replayed(context.record, customer_id, request), created=False)
            program = self._programs.active(context.timeline, read=False).program
            reward = program.reward(request.reward_id)
            if reward is None:
                raise UnknownReward(request.reward_id)
            if not context.account.exists:
                raise NotFound(f"no account {customer_id!r}")
            if context.account.profile is not None:
                context.account.profile.check_may_redeem(request.buyer_id)
            at = self._clock()
            if not context.account.account.is_member(program, at):
                raise NotMember(f"account {customer_id!r} is not a member: it cannot claim rewards")
            made = claim_reward(context.account.account, reward, request, claimed=context.claimed, at=at)
            change = _change(context.account, made.account, at)
            try:
                self._store.save_claim(made, change, reward.stock)
            except StockTaken as error:
                raise OutOfStock(reward.id) from error
            except (ClaimAlreadyMade, StaleState):
                self._pause(attempt)
                continue
            return Claimed(record=made.record, created=True)
        raise ContendedState

    def fulfil(self, claim_id: str) -> ClaimRecord:
        for attempt in range(MAX_ATTEMPTS):
            record = self._load(claim_id)
            fulfilled = fulfil_claim(record, at=self._clock())
            if fulfilled is record:
                return record
            try:
                self._store.save_fulfilment(fulfilled)
            except StaleState:
                self._pause(attempt)
                continue
            return fulfilled
        raise ContendedState

    def cancel(self, claim_id: str) -> ClaimRecord:
        """Points back to their lots, the unit back to the stock; a cancelled claim answers itself again."""
        for attempt in range(MAX_ATTEMPTS):
            record = self._load(claim_id)
            if record.status == "cancelled":
                return record
            account = self._store.load_account(record.customer_id)
            at = self._clock()
            cancellation = cancel_claim(account.account, record, at=at)
            try:
                self._store.save_claim_cancel(cancellation, _change(account, cancellation.account, at))
            except StaleState:
                self._pause(attempt)
                continue
            return cancellation.record
        raise ContendedState

    def claims(self, customer_id: str, *, limit: int, cursor: str | None) -> ClaimPage:
        """A page of the account's claims, newest first; 404 only for an account never stored."""
        page = self._store.claims_of(customer_id, limit=limit, cursor=cursor)
        if not page.claims and cursor is None and not self._store.load_account(customer_id).exists:
            raise NotFound(f"no account {customer_id!r}")
        return page

    def _load(self, claim_id: str) -> ClaimRecord:
        record = self._store.load_claim(claim_id)
        if record is None:
            raise NotFound(f"no claim {claim_id!r}")
        return record


def _change(before: AccountRecord, after: Account, at: datetime) -> AccountChange:
    return AccountChange(
        before=before, account=after, tier_review_on=before.tier_review_on, activity_at=at, event_at=None
    )
