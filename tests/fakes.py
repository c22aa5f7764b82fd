"""In-memory implementations of the service layer's ports, shared by the unit tests of the use cases.

Each keeps in dicts what its DynamoDB adapter stores and refuses what the adapter's conditions refuse:
an account written since it was read (``StaleState``), an order committed twice (``OrderAlreadyCommitted``).
Knobs make the next writes lose a race, as they would to a concurrent request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from loyalty.account import Account
from loyalty.buyers import Buyers
from loyalty.codes import Code, DiscountCode, ReferralCode
from loyalty.commit import Cancellation, Commit, OrderRecord
from loyalty.ledger import LedgerEntry
from loyalty.membership import Membership
from loyalty.order import Order
from loyalty.profile import Profile
from loyalty.program import Program
from loyalty.returns import Returned
from loyalty.tier_history import TierHistoryEntry
from loyalty.versions import Activation, Timeline
from loyalty_service.ports import (
    AccountChange,
    AccountRecord,
    KeyHolder,
    OrderAlreadyCommitted,
    OrderContext,
    StaleState,
    StoredVersion,
)
from loyalty_service.programs import ProgramSource
from loyalty_service.surveys import SurveyAnswer

# ---------------------------------------------------------------------------------------------- programs


class InMemoryProgramStore:
    """``ProgramStore`` in a dict; ``lost_races`` makes that many writes fail as if another one won."""

    def __init__(self, *, lost_races: int = 0) -> None:
        self.lost_races = lost_races
        self.stored: dict[int, StoredVersion] = {}
        self.current: Timeline | None = None
        self.reads: dict[str, int] = {"timeline": 0, "version": 0}

    def timeline(self) -> Timeline | None:
        self.reads["timeline"] += 1
        return self.current

    def version(self, number: int) -> StoredVersion | None:
        self.reads["version"] += 1
        return self.stored.get(number)

    def versions(self) -> list[StoredVersion]:
        return [self.stored[number] for number in sorted(self.stored, reverse=True)]

    def save_version(
        self, stored: StoredVersion, before: Timeline | None, after: Timeline, withdrawn: Activation | None
    ) -> None:
        self._check(before)
        self.stored[stored.version] = stored
        if withdrawn is not None:
            self.stored[withdrawn.version] = replace(self.stored[withdrawn.version], activations=())
        self.current = after

    def save_rollback(self, activation: Activation, before: Timeline, after: Timeline) -> None:
        self._check(before)
        restored = self.stored[activation.version]
        self.stored[activation.version] = replace(restored, activations=(*restored.activations, activation))
        self.current = after

    def activate(self, program: Program | Mapping[str, Any], *, at: datetime, by: str = "test") -> int:
        """Store ``program`` as the next version, in force from ``at``; its number."""
        document = program.model_dump(mode="json", by_alias=True) if isinstance(program, Program) else dict(program)
        after = (self.current or Timeline()).with_new_version(at=at, by=by, activates_at=None)
        stored = StoredVersion(
            version=after.latest_version,
            document=document,
            created_at=at,
            created_by=by,
            activations=after.activations[-1:],
        )
        self.save_version(stored, self.current, after, None)
        return stored.version

    def _check(self, before: Timeline | None) -> None:
        if self.lost_races:
            self.lost_races -= 1
            raise StaleState("the timeline moved")
        if before != self.current:
            raise StaleState("the timeline moved")


def programs_in_force(
    program: Program | Mapping[str, Any] | None, *, since: datetime, by: str = "test"
) -> InMemoryProgramStore:
    """A store whose version 1 (``program``) has been in force since ``since``; empty for ``None``."""
    store = InMemoryProgramStore()
    if program is not None:
        store.activate(program, at=since, by=by)
    return store


def program_source(program: Program | Mapping[str, Any] | None, *, since: datetime) -> ProgramSource:
    return ProgramSource(programs_in_force(program, since=since), clock=lambda: since)


# ---------------------------------------------------------------------------------------------- accounts


def changed(change: AccountChange) -> AccountRecord:
    """The stored account after ``change``, as the DynamoDB adapter writes it (its version moved on by one)."""
    before = change.before
    cancelled = (change.cancelled_order,) if change.cancelled_order else ()
    return replace(
        before,
        account=change.account,
        version=before.version + 1,
        last_event_at=_latest(before.last_event_at, change.event_at),
        tier_review_on=change.tier_review_on,
        activity_since=_earliest(before.activity_since, change.activity_at),
        cancels_to_tell=(*before.cancels_to_tell, *cancelled),
        standing_orders=before.standing_orders + change.standing_orders_added,
    )


class InMemoryAccounts:
    """Accounts by id. A write is conditioned on the version read, as every account write of the adapters is."""

    def __init__(self, *records: AccountRecord) -> None:
        self.accounts: dict[str, AccountRecord] = {record.account.customer_id: record for record in records}

    def load_account(self, customer_id: str) -> AccountRecord:
        """The stored account, or a new, empty one (version 0) for an id never seen."""
        return self.accounts.get(customer_id) or AccountRecord(account=Account(customer_id=customer_id))

    def check_version(self, before: AccountRecord) -> None:
        stored = self.accounts.get(before.account.customer_id)
        if (stored.version if stored else 0) != before.version:
            raise StaleState(f"account {before.account.customer_id}: ConditionalCheckFailed")

    def write(self, change: AccountChange) -> AccountRecord:
        self.check_version(change.before)
        record = changed(change)
        self.accounts[record.account.customer_id] = record
        return record


# ---------------------------------------------------------------------------------------------- orders


class InMemoryOrderStore(InMemoryAccounts):
    """``OrderStore`` in dicts: ``accounts``, order ``records`` and ``codes``; the timeline is ``programs``'.

    ``load_for_order`` answers the program timeline along with the account and the codes, as the
    DynamoDB adapter's one batch read does (without counting a read of the program store).
    ``lose_commits(n, error)`` makes the next ``n`` ``save_commit`` calls raise ``error``: ``StaleState``
    as if the account changed meanwhile, ``OrderAlreadyCommitted`` as if the same request, sent twice,
    committed first (that commit is stored, so a retry finds it).
    """

    def __init__(self, programs: InMemoryProgramStore, *records: AccountRecord, codes: Iterable[Code] = ()) -> None:
        super().__init__(*records)
        self.programs = programs
        self.records: dict[str, OrderRecord] = {}
        self.codes: dict[str, Code] = {code.code: code for code in codes}
        self.ledger: list[LedgerEntry] = []
        self.commit_attempts = 0
        self.cancel_attempts = 0
        self.return_attempts = 0
        self._lost: list[type[StaleState] | type[OrderAlreadyCommitted]] = []

    def lose_commits(self, times: int, error: type[StaleState] | type[OrderAlreadyCommitted] = StaleState) -> None:
        self._lost += [error] * times

    def load_for_order(self, order: Order, *, with_record: bool) -> OrderContext:
        return OrderContext(
            record=self.records.get(order.order_id) if with_record else None,
            account=self.load_account(order.customer_id),
            codes={code: self.codes[code] for code in order.codes if code in self.codes},
            timeline=self.programs.current,
            partner=self.load_account(order.partner_id) if order.partner_id else None,
        )

    def load_accounts(self, customer_ids: Sequence[str]) -> list[AccountRecord]:
        return [self.load_account(customer_id) for customer_id in customer_ids]

    def load_order(self, order_id: str) -> OrderRecord | None:
        return self.records.get(order_id)

    def load_code(self, code: str) -> Code | None:
        return self.codes.get(code)

    def save_commit(
        self,
        commit: Commit,
        account: AccountChange,
        referrer: AccountChange | None,
        partner: AccountChange | None = None,
    ) -> None:
        """All or nothing, on the conditions of the adapter's transaction."""
        self.commit_attempts += 1
        if self._lost:
            error = self._lost.pop(0)
            if error is OrderAlreadyCommitted:
                self._commit(commit, account, referrer, partner)
            raise error("lost to a concurrent request")
        if commit.record.order_id in self.records:
            raise OrderAlreadyCommitted(commit.record.order_id)
        self.check_version(account.before)
        if referrer is not None:
            self.check_version(referrer.before)
        if partner is not None:
            self.check_version(partner.before)
        for used in commit.used_codes:
            stored = self.codes.get(used.code)
            if not isinstance(stored, DiscountCode) or stored.status != "active":
                raise StaleState(f"code {used.code}: ConditionalCheckFailed")
        if commit.referral is not None:
            stored = self.codes.get(commit.referral.code.code)
            if not isinstance(stored, ReferralCode) or stored.referrals != commit.referral.code.referrals - 1:
                raise StaleState(f"referral code {commit.referral.code.code}: ConditionalCheckFailed")
        self._commit(commit, account, referrer, partner)

    def save_cancel(
        self, cancellation: Cancellation, account: AccountChange, partner: AccountChange | None = None
    ) -> None:
        self.cancel_attempts += 1
        stored = self.records.get(cancellation.record.order_id)
        if stored is None or stored.status != "committed":
            raise StaleState(f"order {cancellation.record.order_id}: ConditionalCheckFailed")
        self.check_version(account.before)
        if partner is not None:
            self.check_version(partner.before)
        revoked = self.codes.get(cancellation.revoked_code) if cancellation.revoked_code else None
        if cancellation.revoked_code and (not isinstance(revoked, DiscountCode) or revoked.status != "active"):
            raise StaleState(f"code {cancellation.revoked_code}: ConditionalCheckFailed")
        self.records[cancellation.record.order_id] = cancellation.record
        self.write(account)
        self.ledger.extend(cancellation.ledger)
        if partner is not None and cancellation.partner is not None:
            self.write(partner)
            self.ledger.extend(cancellation.partner.ledger)
        if isinstance(revoked, DiscountCode):
            self.codes[revoked.code] = revoked.model_copy(update={"status": "revoked"})

    def save_return(
        self, returned: Returned, account: AccountChange, partner: AccountChange | None = None, *, returns_before: int
    ) -> None:
        """All or nothing, on the conditions of the adapter's transaction."""
        self.return_attempts += 1
        stored = self.records.get(returned.record.order_id)
        if stored is None or stored.status != "committed" or len(stored.returns) != returns_before:
            raise StaleState(f"order {returned.record.order_id}: ConditionalCheckFailed")
        self.check_version(account.before)
        if partner is not None:
            self.check_version(partner.before)
        revoked = self.codes.get(returned.revoked_code) if returned.revoked_code else None
        if returned.revoked_code and (not isinstance(revoked, DiscountCode) or revoked.status != "active"):
            raise StaleState(f"code {returned.revoked_code}: ConditionalCheckFailed")
        self.records[returned.record.order_id] = returned.record
        self.write(account)
        self.ledger.extend(returned.ledger)
        if partner is not None and returned.partner is not None:
            self.write(partner)
            self.ledger.extend(returned.partner.ledger)
        if isinstance(revoked, DiscountCode):
            self.codes[revoked.code] = revoked.model_copy(update={"status": "revoked"})

    def _commit(
        self, commit: Commit, account: AccountChange, referrer: AccountChange | None, partner: AccountChange | None
    ) -> None:
        self.records[commit.record.order_id] = commit.record
        self.write(account)
        self.ledger.extend(commit.ledger)
        for used in commit.used_codes:
            self.codes[used.code] = used
        if commit.issued_code is not None:
            self.codes[commit.issued_code.code] = commit.issued_code
        conversion = commit.referral
        if conversion is not None:
            self.codes[conversion.code.code] = conversion.code
            if conversion.reward_code is not None:
                self.codes[conversion.reward_code.code] = conversion.reward_code
            if referrer is not None:
                self.write(referrer)
            self.ledger.extend(conversion.ledger)
        if partner is not None and commit.partner is not None:
            self.write(partner)
            self.ledger.extend(commit.partner.ledger)


# ---------------------------------------------------------------------------------------------- customers


@dataclass(frozen=True)
class Page:
    """A ``LedgerPage``."""

    entries: Sequence[LedgerEntry]
    next_cursor: str | None = None


@dataclass(frozen=True)
class TierPage:
    """A ``TierHistoryPage``."""

    entries: Sequence[TierHistoryEntry]
    next_cursor: str | None = None


class InMemoryCustomerStore:
    """``CustomerStore`` in dicts; ``calls`` lists the reads and writes made, in order (one per round trip)."""

    def __init__(
        self,
        *records: AccountRecord,
        ledgers: Mapping[str, Sequence[LedgerEntry]] | None = None,
        orders: Iterable[OrderRecord] = (),
        codes: Iterable[Code] = (),
        timeline: Timeline | None = None,
        tier_history: Mapping[str, Sequence[TierHistoryEntry]] | None = None,
    ) -> None:
        self.accounts: dict[str, AccountRecord] = {record.account.customer_id: record for record in records}
        self.tier_history = {customer: list(entries) for customer, entries in (tier_history or {}).items()}
        self.ledgers: dict[str, list[LedgerEntry]] = {
            customer: list(entries) for customer, entries in (ledgers or {}).items()
        }
        self.orders: dict[str, OrderRecord] = {record.order_id: record for record in orders}
        self.codes: list[Code] = list(codes)
        self.timeline = timeline
        self.calls: list[str] = []

    def load_account(self, customer_id: str) -> AccountRecord | None:
        self.calls.append("load_account")
        return self.accounts.get(customer_id)

    def load_with_timeline(self, customer_id: str) -> tuple[AccountRecord | None, Timeline | None]:
        self.calls.append("load_with_timeline")
        return self.accounts.get(customer_id), self.timeline

    def owned_codes(self, customer_id: str) -> list[Code]:
        self.calls.append("owned_codes")
        return [code for code in self.codes if code.customer_id == customer_id]

    def save_profile(self, customer_id: str, profile: Profile) -> AccountRecord:
        self.calls.append("save_profile")
        before = self.accounts.get(customer_id) or AccountRecord(account=Account(customer_id=customer_id))
        account = before.account.model_copy(update={"partner": profile.partner})
        record = replace(before, account=account, profile=profile, version=before.version + 1)
        self.accounts[customer_id] = record
        return record

    def save_membership(self, before: AccountRecord, membership: Membership) -> None:
        self.calls.append("save_membership")
        stored = self.accounts.get(before.account.customer_id)
        if (stored.version if stored else 0) != before.version:
            raise StaleState
        account = before.account.model_copy(update={"membership": membership})
        self.accounts[account.customer_id] = replace(before, account=account, version=before.version + 1)

    def ledger_page(self, customer_id: str, *, limit: int, cursor: str | None) -> Page:
        self.calls.append("ledger_page")
        entries = self.ledgers.get(customer_id, [])
        start = int(cursor or 0)
        after = start + limit
        return Page(entries=entries[start:after], next_cursor=str(after) if after < len(entries) else None)

    def tier_history_page(self, customer_id: str, *, limit: int, cursor: str | None) -> TierPage:
        self.calls.append("tier_history_page")
        entries = self.tier_history.get(customer_id, [])
        start = int(cursor or 0)
        after = start + limit
        return TierPage(entries=entries[start:after], next_cursor=str(after) if after < len(entries) else None)

    def account_exists(self, customer_id: str) -> bool:
        self.calls.append("account_exists")
        return customer_id in self.accounts

    def erase_profile(self, before: AccountRecord, buyers: Buyers) -> None:
        self.calls.append("erase_profile")
        record = self.accounts.get(before.account.customer_id)
        if record is None or record.version != before.version:
            raise StaleState
        account = record.account.model_copy(update={"buyers": buyers})
        self.accounts[account.customer_id] = replace(
            record, account=account, profile=None, erased=True, version=record.version + 1
        )

    def scrub_ledger(self, customer_id: str) -> int:
        self.calls.append("scrub_ledger")
        entries = self.ledgers.get(customer_id, [])
        carrying = sum(1 for entry in entries if entry.buyer_id is not None)
        self.ledgers[customer_id] = [entry.model_copy(update={"buyer_id": None}) for entry in entries]
        return carrying

    def scrub_orders(self, customer_id: str) -> int:
        self.calls.append("scrub_orders")
        carrying = [
            record
            for record in self.orders.values()
            if record.customer_id == customer_id and record.buyer_id is not None
        ]
        for record in carrying:
            self.orders[record.order_id] = record.model_copy(update={"buyer_id": None})
        return len(carrying)


# ---------------------------------------------------------------------------------------------- referrals


class InMemoryReferralStore(InMemoryAccounts):
    """``ReferralStore``: accounts and referral ``codes``; ``rivals`` are codes other requests create first.

    Each rival makes one of our writes fail, as a lost race would: the rival's code is stored on the
    account and the write raises ``StaleState``.
    """

    def __init__(self, *records: AccountRecord, rivals: Iterable[str] = ()) -> None:
        super().__init__(*records)
        self.codes: dict[str, ReferralCode] = {}
        self.rivals = list(rivals)
        self.writes = 0

    def load_referral_code(self, code: str) -> ReferralCode | None:
        return self.codes.get(code)

    def create_referral_code(self, account: AccountRecord, code: ReferralCode, at: datetime) -> None:
        self.writes += 1
        if self.rivals:
            self._store(account, ReferralCode(code=self.rivals.pop(0), customer_id=code.customer_id))
            raise StaleState("account: ConditionalCheckFailed")
        if account.referral_code is not None or code.code in self.codes:
            raise StaleState("taken")
        self.check_version(account)
        self._store(account, code)

    def _store(self, account: AccountRecord, code: ReferralCode) -> None:
        self.codes[code.code] = code
        self.accounts[code.customer_id] = replace(account, referral_code=code.code, version=account.version + 1)


# ---------------------------------------------------------------------------------------------- the nightly tier review


class InMemoryTierReviewStore(InMemoryAccounts):
    """``TierReviewStore``: accounts due when their ``tier_review_on`` has come; ``history`` of tier changes."""

    def __init__(self, *records: AccountRecord) -> None:
        super().__init__(*records)
        self.history: list[TierHistoryEntry] = []

    def tier_reviews_due(self, at: datetime) -> list[str]:
        today: date = at.date()
        return sorted(
            customer_id
            for customer_id, record in self.accounts.items()
            if record.tier_review_on is not None and record.tier_review_on <= today
        )

    def save_review(self, change: AccountChange, entry: TierHistoryEntry | None) -> None:
        self.write(change)
        if entry is not None:
            self.history.append(entry)


# ---------------------------------------------------------------------------------------------- surveys


@dataclass
class InMemorySurveyStore:
    """``SurveyStore``: every answer put, in order."""

    answers: list[SurveyAnswer] = field(default_factory=list)

    def put(self, answer: SurveyAnswer) -> None:
        self.answers.append(answer)


class RememberingOnce:
    """A ``Once`` in memory: the first result per request, answered again for every retry."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}

    def __call__(self, request: Mapping[str, Any], run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        key = json.dumps(dict(request), sort_keys=True)
        if key not in self.results:
            self.results[key] = run()
        return self.results[key]


# ---------------------------------------------------------------------------------------------- API keys


class InMemoryKeyDirectory:
    """``KeyDirectory``: the holders by API key."""

    def __init__(self, **holders: KeyHolder) -> None:
        self._holders = holders

    def holder_of(self, api_key: str) -> KeyHolder | None:
        return self._holders.get(api_key)


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    return min((moment for moment in (first, second) if moment is not None), default=None)


def _latest(first: datetime | None, second: datetime | None) -> datetime | None:
    return max((moment for moment in (first, second) if moment is not None), default=None)
