"""Accounts as the storefront sees them: profile upserts, the summary, the ledger, and the GDPR erasure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from loyalty.account import Account, PartnerTotals
from loyalty.buyers import Buyers, anonymized, standing
from loyalty.codes import Code, DiscountCode, ReferralCode
from loyalty.errors import NotFound
from loyalty.membership import MembershipRequest, MembershipStatus, change_membership, membership_status
from loyalty.money import exact
from loyalty.profile import Profile
from loyalty.program import Program
from loyalty.tiers import TierProgress, held_level, progress
from loyalty.wallet import Lot
from loyalty_service.ports import AccountRecord, CustomerStore, LedgerPage, StaleState, TierHistoryPage
from loyalty_service.programs import ProgramSource
from loyalty_service.retries import ContendedState, backoff

MAX_ATTEMPTS = 6
"""An erasure loses its write only to a commit, cancel or return landing on the account between its read and write."""


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
    membership: MembershipStatus
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
        membership=membership_status(
            program.enrollment.mode, account.membership, first_order_at=account.first_order_at, now=now
        ),
        partner=account.partner_totals if account.partner else None,
    )


class CustomerService:
    def __init__(
        self,
        store: CustomerStore,
        programs: ProgramSource,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pause: Callable[[int], None] = backoff,
    ) -> None:
        self._store = store
        self._programs = programs
        self._clock = clock
        self._pause = pause

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

    def set_membership(self, customer_id: str, request: MembershipRequest) -> MembershipStatus:
        """Enrol, renew or end the account's membership at the request time; idempotent.

        An account never stored is created with it (an invited company may enrol before its first
        order). The write is conditioned on the version read and retried when an order got there first.
        A request that changes nothing (a repeated PUT) writes nothing.
        """
        for attempt in range(MAX_ATTEMPTS):
            before = self._store.load_account(customer_id) or AccountRecord(account=Account(customer_id=customer_id))
            program = self._programs.program()
            now = self._clock()
            current = before.account.membership
            after = change_membership(program.enrollment.mode, current, request, now=now)
            if after != current or not before.exists:
                try:
                    self._store.save_membership(before, after)
                except StaleState:
                    self._pause(attempt)
                    continue
            return MembershipStatus(member=after.holds_at(now), since=after.since, until=after.until)
        raise ContendedState

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

    def buyers(self, customer_id: str) -> Buyers:
        """``GET /customers/{id}/buyers``: the totals the account item keeps, one ``GetItem``; 404 for no account."""
        record = self._store.load_account(customer_id)
        if record is None:
            raise NotFound(f"no account {customer_id!r}")
        return standing(record.account.buyers)

    def erase(self, customer_id: str) -> Erasure:
        """GDPR erasure: the profile goes, ``buyer_id`` leaves ledger and orders; points and totals stay.

        The buyers' totals are merged under ``buyer_id`` null in the write that drops the profile.
        Every step is idempotent, so a repeated (or an interrupted and retried) erasure completes it.
        """
        for attempt in range(MAX_ATTEMPTS):
            record = self._store.load_account(customer_id)
            if record is None:
                raise NotFound(f"no account {customer_id!r}")
            try:
                self._store.erase_profile(record, anonymized(record.account.buyers))
            except StaleState:
                self._pause(attempt)
                continue
            break
        else:
            raise ContendedState
        ledger_entries = self._store.scrub_ledger(customer_id)
        orders = self._store.scrub_orders(customer_id)
        return Erasure(customer_id=customer_id, ledger_entries=ledger_entries, orders=orders)
