"""What the use cases need from storage, and the records they exchange with it.

The DynamoDB adapters (``loyalty_aws``) implement these protocols; the use cases never see boto3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from loyalty.account import Account
from loyalty.codes import Code, DiscountCode, ReferralCode
from loyalty.commit import Cancellation, Commit, OrderRecord
from loyalty.order import Order
from loyalty.profile import Profile
from loyalty.program import Program
from loyalty.versions import Timeline


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


@dataclass(frozen=True)
class StoredVersion:
    """One immutable program version as stored."""

    version: int
    document: Mapping[str, Any]
    created_at: datetime
    created_by: str
    activates_at: datetime | None = None
    """The instant a staged PUT asked for (``None``: in force at once)."""


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

    def save_commit(self, commit: Commit, account: AccountChange, referrer: AccountChange | None) -> None: ...

    def load_order(self, order_id: str) -> OrderRecord | None: ...

    def load_code(self, code: str) -> Code | None: ...

    def save_cancel(self, cancellation: Cancellation, account: AccountChange) -> None: ...


@dataclass(frozen=True)
class AccountTotals:
    """An account's figures of today that the KPIs take back to a window's end."""

    standing_orders: int
    lifetime_spend: Decimal


class KpiStore(Protocol):
    """What the KPIs read; every read is bounded by what happened in the window (docs/data-model.md)."""

    def orders_placed(self, start: date, end: date) -> list[OrderRecord]: ...

    def account_totals(self, customer_ids: Iterable[str]) -> dict[str, AccountTotals]: ...

    def orders_after(self, customer_id: str, day: date) -> list[OrderRecord]: ...

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

    def save_version(self, stored: StoredVersion, before: Timeline | None, after: Timeline) -> None:
        """Store a new version and its timeline at once; ``StaleState`` when the timeline moved since read."""
        ...

    def save_timeline(self, before: Timeline, after: Timeline) -> None:
        """Replace the timeline (a rollback); ``StaleState`` when it moved since read."""
        ...


__all__ = [
    "AccountChange",
    "AccountRecord",
    "AccountTotals",
    "ActiveProgram",
    "DiscountCode",
    "KpiStore",
    "OrderAlreadyCommitted",
    "OrderArchive",
    "OrderContext",
    "OrderStore",
    "ProgramStore",
    "ReferralCode",
    "StaleState",
    "StoredVersion",
]
