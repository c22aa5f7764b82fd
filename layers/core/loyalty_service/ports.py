"""What the use cases need from the world outside them, and the records they exchange with it.

Every protocol a use case depends on is here: the stores, the mailer, the work queue, the key
directory, the exactly-once runner. The adapters (``loyalty_aws``) implement them; the use cases
never see boto3.

At run time this module imports the standard library only: the rules types are imported for the
annotations, and the two records that are pydantic models (``SurveyAnswer``, ``WorkPage``) stay
with their use cases. Every function imports it, the authorizer too, and none pays for a model here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from loyalty.account import Account
    from loyalty.adjustments import Adjusted, AdjustmentRecord
    from loyalty.buyers import Buyers
    from loyalty.claims import ClaimCancellation, Claimed, ClaimRecord
    from loyalty.codes import Code, DiscountCode, ReferralCode
    from loyalty.commit import Cancellation, Commit, OrderRecord
    from loyalty.digest import TierChangeRecord
    from loyalty.events import Event
    from loyalty.expiry import LotExpiry
    from loyalty.ledger import LedgerEntry
    from loyalty.membership import Membership
    from loyalty.order import Order
    from loyalty.profile import Profile
    from loyalty.program import Program
    from loyalty.returns import Returned
    from loyalty.tier_history import TierHistoryEntry
    from loyalty.versions import Activation, Timeline
    from loyalty_service.jobs import WorkPage
    from loyalty_service.surveys import SurveyAnswer


class StaleState(Exception):
    """What a write was computed from has changed since it was read: read again and recompute."""


class OrderAlreadyCommitted(Exception):
    """Another request committed the same ``order_id`` first."""


@dataclass(frozen=True)
class AccountRecord:
    """An account as stored: the core's state plus what only storage and the API care about."""

    account: Account
    version: int = 0
    """0 for an account not stored yet; every write increments it and is conditioned on it."""
    profile: Profile | None = None
    referral_code: str | None = None
    last_event_at: datetime | None = None
    tier_review_on: date | None = None
    activity_since: datetime | None = None
    """The first activity not yet in a digest (``None``: nothing to tell)."""
    last_digest_at: datetime | None = None
    erased: bool = False
    cancels_to_tell: tuple[str, ...] = ()
    """Orders cancelled since the last digest: their reversals are dated at the order, maybe before it."""
    standing_orders: int = 0
    """Committed orders not cancelled: with the core's lifetime spend, what the KPIs' per-account figures need."""

    @property
    def exists(self) -> bool:
        return self.version > 0


@dataclass(frozen=True)
class OrderContext:
    """Everything a preview or a commit reads, in one round trip: the program timeline included."""

    record: OrderRecord | None
    account: AccountRecord
    codes: Mapping[str, Code] = field(default_factory=dict)
    timeline: Timeline | None = None
    partner: AccountRecord | None = None
    """The account ``partner_id`` names, read in the same batch (version 0: no such account)."""


@dataclass(frozen=True)
class StoredVersion:
    """One program version as stored: its document never changes; its activations only grow."""

    version: int
    document: Mapping[str, Any]
    created_at: datetime
    created_by: str
    activates_at: datetime | None = None
    """The instant a staged PUT asked for (``None``: in force at once)."""
    activations: tuple[Activation, ...] = ()
    """Every time it was put in force (staged, at once, or by a rollback), a withdrawn staging excepted."""


@dataclass(frozen=True)
class ActiveProgram:
    """The version in force for a request, parsed."""

    program: Program
    version: int
    activated_at: datetime
    document: Mapping[str, Any]
    activated_by: str = ""


@dataclass(frozen=True)
class AccountChange:
    """A new account state to write, with the bookkeeping keys the jobs query."""

    before: AccountRecord
    account: Account
    tier_review_on: date | None
    activity_at: datetime | None
    event_at: datetime | None
    cancelled_order: str | None = None
    standing_orders_added: int = 0
    """+1 for a commit, -1 for a cancel, 0 for every other change."""


class OrderStore(Protocol):
    def load_for_order(self, order: Order, *, with_record: bool) -> OrderContext: ...

    def load_account(self, customer_id: str) -> AccountRecord: ...

    def load_accounts(self, customer_ids: Sequence[str]) -> list[AccountRecord]:
        """Several accounts in one read, in the order asked (an order's customer and its partner)."""
        ...

    def save_commit(
        self,
        commit: Commit,
        account: AccountChange,
        referrer: AccountChange | None,
        partner: AccountChange | None = None,
    ) -> None: ...

    def load_order(self, order_id: str) -> OrderRecord | None: ...

    def load_code(self, code: str) -> Code | None: ...

    def save_cancel(
        self, cancellation: Cancellation, account: AccountChange, partner: AccountChange | None = None
    ) -> None: ...

    def save_return(
        self, returned: Returned, account: AccountChange, partner: AccountChange | None = None, *, returns_before: int
    ) -> None:
        """One write: the order with its new return (``StaleState`` unless it still has ``returns_before``)."""
        ...


class HistoryStore(Protocol):
    """Where imported orders go: the order records and their accounts."""

    def existing_orders(self, order_ids: Iterable[str]) -> set[str]:
        """The ids among ``order_ids`` that an order record already holds (committed or imported)."""
        ...

    def load_account(self, customer_id: str) -> AccountRecord: ...

    def save_import(self, records: Sequence[OrderRecord], account: AccountChange) -> None:
        """One write: every record (none may exist yet: ``OrderAlreadyCommitted``) and the account."""
        ...


@dataclass(frozen=True)
class AccountTotals:
    """An account's figures of today that the KPIs take back to a window's end."""

    standing_orders: int
    lifetime_spend: Decimal


class KpiStore(Protocol):
    """What the KPIs read; every read is bounded by what happened in the window (docs/data-model.md)."""

    def orders_placed(self, start: date, end: date) -> list[OrderRecord]: ...

    def account_totals(self, customer_ids: Iterable[str]) -> dict[str, AccountTotals]: ...

    def orders_after(self, customer_ids: Iterable[str], day: date) -> dict[str, list[OrderRecord]]: ...

    def ledger_points(self, start: date, end: date) -> dict[str, int]: ...

    def nps_scores(self, start: date, end: date) -> list[int]: ...

    def referral_codes_created(self, start: date, end: date) -> int: ...

    def points_liability(self) -> int: ...

    def accounts_per_tier(self) -> dict[str, int]: ...


class OrderArchive(Protocol):
    """The stored orders by the day they were placed."""

    def count_placed(self, start: date, end: date) -> int: ...

    def standing_orders(self, start: date, end: date) -> list[Order]:
        """Standing orders placed from ``start`` to ``end`` (UTC days, both included), by (placed_at, order_id)."""
        ...


class ProgramStore(Protocol):
    def timeline(self) -> Timeline | None:
        """The activations (one consistent read); ``None`` before the first version."""
        ...

    def version(self, number: int) -> StoredVersion | None: ...

    def versions(self) -> list[StoredVersion]:
        """Every stored version, newest first."""
        ...

    def save_version(
        self, stored: StoredVersion, before: Timeline | None, after: Timeline, withdrawn: Activation | None
    ) -> None:
        """Store a new version and the timeline in one write, withdrawing a staging that had not begun.

        ``StaleState`` when the timeline moved since it was read.
        """
        ...

    def save_rollback(self, activation: Activation, before: Timeline, after: Timeline) -> None:
        """Put a stored version back in force (the timeline and that version's activations, in one write)."""
        ...


# ---------------------------------------------------------------------------------------------- customers


class LedgerPage(Protocol):
    @property
    def entries(self) -> Sequence[LedgerEntry]: ...

    @property
    def next_cursor(self) -> str | None: ...


class TierHistoryPage(Protocol):
    @property
    def entries(self) -> Sequence[TierHistoryEntry]: ...

    @property
    def next_cursor(self) -> str | None: ...


class CustomerStore(Protocol):
    def load_account(self, customer_id: str) -> AccountRecord | None: ...

    def load_with_timeline(self, customer_id: str) -> tuple[AccountRecord | None, Timeline | None]:
        """The account and the program timeline, in one round trip."""
        ...

    def owned_codes(self, customer_id: str) -> list[Code]: ...

    def save_profile(self, customer_id: str, profile: Profile) -> AccountRecord: ...

    def save_membership(self, before: AccountRecord, membership: Membership) -> None:
        """Store the account's membership, conditioned on ``before.version``; ``StaleState`` when it moved on."""
        ...

    def ledger_page(self, customer_id: str, *, limit: int, cursor: str | None) -> LedgerPage: ...

    def tier_history_page(self, customer_id: str, *, limit: int, cursor: str | None) -> TierHistoryPage: ...

    def account_exists(self, customer_id: str) -> bool: ...

    def erase_profile(self, before: AccountRecord, buyers: Buyers) -> None:
        """Drop the account's personal data, keep ``buyers`` (anonymized) and mark it erased.

        ``StaleState`` when the account was written since ``before`` was read.
        """
        ...

    def scrub_ledger(self, customer_id: str) -> int:
        """Remove ``buyer_id`` from the account's ledger entries; how many entries carried one."""
        ...

    def scrub_orders(self, customer_id: str) -> int:
        """Remove ``buyer_id`` from the account's order records; how many records carried one."""
        ...


# ---------------------------------------------------------------------------------------------- referrals


class ReferralStore(Protocol):
    def load_account(self, customer_id: str) -> AccountRecord: ...

    def load_referral_code(self, code: str) -> ReferralCode | None: ...

    def create_referral_code(self, account: AccountRecord, code: ReferralCode, at: datetime) -> None:
        """Store the code and set it on the account, atomically; ``StaleState`` when either was taken."""
        ...


# ---------------------------------------------------------------------------------------------- points operations


class AdjustmentAlreadyMade(Exception):
    """Another request made the same adjustment first."""


class ClaimAlreadyMade(Exception):
    """Another request made the same claim first."""


class StockTaken(Exception):
    """The last unit of a reward was claimed by another request in the meantime."""


@dataclass(frozen=True)
class AdjustmentContext:
    """What an adjustment reads, in one round trip: the account, an earlier same adjustment, the timeline."""

    account: AccountRecord
    record: AdjustmentRecord | None
    timeline: Timeline | None = None


class AdjustmentStore(Protocol):
    def load_for_adjustment(self, customer_id: str, adjustment_id: str) -> AdjustmentContext: ...

    def save_adjustment(self, adjusted: Adjusted, account: AccountChange) -> None:
        """The record, the account and its ledger entry in one write.

        ``AdjustmentAlreadyMade`` when the record exists, ``StaleState`` when the account moved.
        """
        ...


@dataclass(frozen=True)
class ClaimContext:
    """What a claim reads, in one round trip: the account, an earlier same claim, the timeline, the stock used."""

    account: AccountRecord
    record: ClaimRecord | None
    timeline: Timeline | None = None
    claimed: int = 0
    """Units of the reward claimed and not cancelled."""


class ClaimPage(Protocol):
    @property
    def claims(self) -> Sequence[ClaimRecord]: ...

    @property
    def next_cursor(self) -> str | None: ...


class ClaimStore(Protocol):
    def load_for_claim(self, customer_id: str, claim_id: str, reward_id: str) -> ClaimContext: ...

    def save_claim(self, claimed: Claimed, account: AccountChange, stock: int | None) -> None:
        """The claim, the account, its ledger entry and one unit of stock (never past ``stock``) in one write.

        ``ClaimAlreadyMade`` when the claim exists, ``StockTaken`` when no unit is left, ``StaleState``
        when the account moved.
        """
        ...

    def load_claim(self, claim_id: str) -> ClaimRecord | None: ...

    def load_account(self, customer_id: str) -> AccountRecord: ...

    def save_fulfilment(self, record: ClaimRecord) -> None:
        """Mark a requested claim fulfilled; ``StaleState`` when it is no longer requested."""
        ...

    def save_claim_cancel(self, cancellation: ClaimCancellation, account: AccountChange) -> None:
        """The cancelled claim (only from requested), the account, the reversal and the unit back, in one write."""
        ...

    def claims_of(self, customer_id: str, *, limit: int, cursor: str | None) -> ClaimPage:
        """The account's claims, newest first."""
        ...

    def claimed_units(self, reward_ids: Iterable[str]) -> dict[str, int]:
        """Units claimed and not cancelled, per reward (absent: none)."""
        ...


# ---------------------------------------------------------------------------------------------- surveys


class SurveyStore(Protocol):
    def put(self, answer: SurveyAnswer) -> None: ...


Once = Callable[[Mapping[str, Any], Callable[[], dict[str, Any]]], dict[str, Any]]
"""Runs the function at most once per request (its JSON result is kept and answered again for a retry)."""


# ---------------------------------------------------------------------------------------------- API keys

Role = Literal["storefront", "admin"]


@dataclass(frozen=True)
class KeyHolder:
    """Who an API key belongs to: its role and the label it was created with."""

    role: Role
    label: str


class KeyDirectory(Protocol):
    def holder_of(self, api_key: str) -> KeyHolder | None: ...


# ---------------------------------------------------------------------------------------------- scheduled jobs


class Job(Protocol):
    name: str

    def due(self, at: datetime) -> Iterable[str]:
        """The units of work due at or before ``at`` (ids, found through the due indexes)."""
        ...

    def process(self, unit: str, at: datetime) -> bool:
        """Do one unit; True when it changed something, False when there was nothing left to do."""
        ...


class WorkQueue(Protocol):
    def send(self, pages: Sequence[WorkPage]) -> None: ...


class TierReviewStore(Protocol):
    def tier_reviews_due(self, at: datetime) -> Iterable[str]: ...

    def load_account(self, customer_id: str) -> AccountRecord: ...

    def save_review(self, change: AccountChange, entry: TierHistoryEntry | None) -> None:
        """Write the account and, when its tier changed, the entry of its tier history (idempotent by version)."""
        ...


class ExpiryStore(Protocol):
    def lot_expiries_due(self, at: datetime) -> Iterable[str]: ...

    def code_expiries_due(self, at: datetime) -> Iterable[str]: ...

    def load_account(self, customer_id: str) -> AccountRecord: ...

    def save_lot_expiry(self, change: AccountChange, expiry: LotExpiry) -> None: ...

    def expire_code(self, code: str, at: datetime) -> bool:
        """Mark an active code past its end as expired; False when it was not (any more) due."""
        ...


# ---------------------------------------------------------------------------------------------- the digest


@dataclass(frozen=True)
class DigestMaterial:
    """What happened to an account between two digests, as stored."""

    entries: Sequence[LedgerEntry]
    codes: Sequence[DiscountCode]
    referral: tuple[str, int] | None
    tier_changes: Sequence[TierChangeRecord]


class DigestStore(Protocol):
    def digests_due(self, at: datetime) -> Iterable[str]: ...

    def load_account(self, customer_id: str) -> AccountRecord: ...

    def digest_material(self, record: AccountRecord, since: datetime | None, at: datetime) -> DigestMaterial: ...

    def claim_digest(self, customer_id: str, day: date, at: datetime) -> bool:
        """Reserve the account's digest of ``day``; False when it was reserved before."""
        ...

    def release_digest(self, customer_id: str, day: date) -> None: ...

    def mark_digested(self, record: AccountRecord, at: datetime) -> None:
        """Everything up to ``at`` has been told (or had nobody to tell): leave the digest index."""
        ...


class Email(Protocol):
    """A rendered email as the mailer needs it (``loyalty_digest.render.RenderedEmail`` is one)."""

    @property
    def subject(self) -> str: ...

    @property
    def html(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def sender_name(self) -> str:
        """The display name for the From header (the address is the sender's business)."""
        ...


class Mailer(Protocol):
    def send(self, to: str, email: Email, *, sender: str | None, unsubscribe_url: str) -> None:
        """Send one digest; ``sender`` None means the configured default identity."""
        ...


class UnsubscribeLinks(Protocol):
    def url(self, customer_id: str, at: datetime) -> str: ...


__all__ = [
    "AccountChange",
    "AccountRecord",
    "AccountTotals",
    "ActiveProgram",
    "AdjustmentAlreadyMade",
    "AdjustmentContext",
    "AdjustmentStore",
    "ClaimAlreadyMade",
    "ClaimContext",
    "ClaimPage",
    "ClaimStore",
    "CustomerStore",
    "DigestMaterial",
    "DigestStore",
    "Email",
    "ExpiryStore",
    "Job",
    "KeyDirectory",
    "KeyHolder",
    "KpiStore",
    "LedgerPage",
    "Mailer",
    "Once",
    "OrderAlreadyCommitted",
    "OrderArchive",
    "OrderContext",
    "OrderStore",
    "ProgramStore",
    "ReferralStore",
    "Role",
    "StaleState",
    "StockTaken",
    "StoredVersion",
    "SurveyStore",
    "TierHistoryPage",
    "TierReviewStore",
    "UnsubscribeLinks",
    "WorkQueue",
]


# ---------------------------------------------------------------------------------------------- events


class EventBus(Protocol):
    def publish(self, events: Sequence[Event]) -> list[Event]:
        """Put the events on the bus; answers those the bus refused (to be sent again)."""
        ...
