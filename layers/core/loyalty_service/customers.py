"""Accounts as the storefront sees them: profile upserts, the summary, the ledger, and the GDPR erasure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from loyalty.account import PartnerTotals
from loyalty.codes import Code, DiscountCode, ReferralCode
from loyalty.errors import NotFound
from loyalty.money import exact
from loyalty.profile import Profile
from loyalty.program import Program
from loyalty.tiers import TierProgress, held_level, progress
from loyalty.wallet import Lot
from loyalty_service.ports import AccountRecord, CustomerStore, LedgerPage, TierHistoryPage
from loyalty_service.programs import ProgramSource


@dataclass(frozen=True)
class AccountSummary:
    """``GET /customers/{id}``: exact values; the HTTP edge rounds and formats them."""

    customer_id: str
    segment: str | None
    balance: int
    points_value: Decimal
    tier: str | None
    progress: TierProgress | None
    expiring: tuple[Lot, ...]
    discounts: tuple[DiscountCode, ...]
    referral: ReferralCode | None
    partner: PartnerTotals | None = None
    """For a partner: what the orders it brought add up to (``None`` for other accounts)."""


@dataclass(frozen=True)
class Erasure:
    customer_id: str
    ledger_entries: int
    orders: int


def summarize(program: Program, record: AccountRecord, codes: Iterable[Code], *, now: datetime) -> AccountSummary:
    """The account summary of SPEC section 4, from the stored account and the codes it owns.

    Tier progress is the window ending at the account's latest event (SPEC section 5), so the summary
    does not change by itself overnight; an account without orders is measured at ``now`` (it has no
    volume anyway). ``expiring`` lists every lot that still holds points and has an end, soonest first;
    ``discounts`` every single-use code still active (not used, revoked, or expired by the expiry job).
    """
    account = record.account
    moment = record.last_event_at or now
    tier = account.tier
    tier_progress = None
    if program.tiers is not None:
        tier = held_level(program.tiers, account.tier, account.buckets, moment).name
        tier_progress = progress(program.tiers, account.tier, account.buckets, moment)
    expiring = sorted(
        (lot for lot in account.wallet.lots if lot.remaining > 0 and lot.expires_at is not None),
        key=lambda lot: (lot.expires_at, lot.lot_id),
    )
    owned = [code for code in codes if code.customer_id == account.customer_id]
    discounts = sorted(
        (code for code in owned if isinstance(code, DiscountCode) and code.status == "active"),
        key=lambda code: (code.expires_at, code.code),
    )
    referrals = [code for code in owned if isinstance(code, ReferralCode)]
    referral = next((code for code in referrals if code.code == record.referral_code), None) or next(
        iter(referrals), None
    )
    with exact():
        points_value = Decimal(account.balance) * program.point_value
    return AccountSummary(
        customer_id=account.customer_id,
        segment=account.segment,
        balance=account.balance,
        points_value=points_value,
        tier=tier,
        progress=tier_progress,
        expiring=tuple(expiring),
        discounts=tuple(discounts),
        referral=referral,
        partner=account.partner_totals if account.partner else None,
    )


class CustomerService:
    def __init__(
        self,
        store: CustomerStore,
        programs: ProgramSource,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._programs = programs
        self._clock = clock

    def summary(self, customer_id: str) -> AccountSummary:
        """One ``BatchGetItem`` (account, timeline) and one ``Query``; 404 for an account never stored."""
        record, timeline = self._store.load_with_timeline(customer_id)
        program = self._programs.active(timeline, read=False).program
        if record is None:
            raise NotFound(f"no account {customer_id!r}")
        return summarize(program, record, self._store.owned_codes(customer_id), now=self._clock())

    def update_profile(self, customer_id: str, profile: Profile) -> AccountSummary:
        """Upsert the profile (creating the account if needed) and answer the summary.

        The program is needed for the answer, so it is read first: without one nothing is written (503).
        """
        program = self._programs.program()
        record = self._store.save_profile(customer_id, profile)
        return summarize(program, record, self._store.owned_codes(customer_id), now=self._clock())

    def ledger(self, customer_id: str, *, limit: int, cursor: str | None) -> LedgerPage:
        """A page of the ledger, newest first. Only an empty first page costs a second read (404 or empty)."""
        page = self._store.ledger_page(customer_id, limit=limit, cursor=cursor)
        if not page.entries and cursor is None and not self._store.account_exists(customer_id):
            raise NotFound(f"no account {customer_id!r}")
        return page

    def tier_history(self, customer_id: str, *, limit: int, cursor: str | None) -> TierHistoryPage:
        """A page of the account's tier changes, newest first; 404 like the ledger."""
        page = self._store.tier_history_page(customer_id, limit=limit, cursor=cursor)
        if not page.entries and cursor is None and not self._store.account_exists(customer_id):
            raise NotFound(f"no account {customer_id!r}")
        return page

    def erase(self, customer_id: str) -> Erasure:
        """GDPR erasure: the profile goes, ``buyer_id`` leaves ledger and orders; points and totals stay.

        Every step is idempotent, so a repeated (or an interrupted and retried) erasure completes it.
        """
        if not self._store.erase_profile(customer_id):
            raise NotFound(f"no account {customer_id!r}")
        ledger_entries = self._store.scrub_ledger(customer_id)
        orders = self._store.scrub_orders(customer_id)
        return Erasure(customer_id=customer_id, ledger_entries=ledger_entries, orders=orders)
