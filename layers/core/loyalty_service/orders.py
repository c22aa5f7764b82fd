"""Preview, commit and cancel orders: exactly once, whatever the retries and the races."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from loyalty.account import Account
from loyalty.codes import Code, ReferralCode
from loyalty.commit import CodeMinter, Commit, OrderRecord, commit_order
from loyalty.decision import Decision
from loyalty.errors import FieldError, InvalidInput, NotFound, OrderConflict
from loyalty.order import Order
from loyalty.partners import PartnerUpdate, preview_credit
from loyalty.program import Program
from loyalty.returns import cancel_remaining
from loyalty.scoring import score
from loyalty.tiers import review_due_on
from loyalty_service.codes import mint_code
from loyalty_service.ports import (
    AccountChange,
    AccountRecord,
    OrderAlreadyCommitted,
    OrderContext,
    OrderStore,
    StaleState,
)
from loyalty_service.programs import ProgramSource
from loyalty_service.retries import ContendedState, backoff

MAX_CONTENDERS = 8
"""The simultaneous writers of one account a commit must outlast (a company's buyers, a storefront's retry queue)."""
MAX_ATTEMPTS = MAX_CONTENDERS + 2
"""An attempt fails only because another write to the account landed between its read and its write; with k
contenders each landing once, one commit loses at most k - 1 times, so k attempts suffice. Two more leave room
for the account's other writers (a cancel, a tier review) in the same moment. The uncontended path is one attempt."""


@dataclass(frozen=True)
class Committed:
    decision: Decision
    created: bool
    """False when the order had been committed before: the stored decision is returned."""


class OrderService:
    def __init__(
        self,
        store: OrderStore,
        programs: ProgramSource,
        *,
        mint: CodeMinter = mint_code,
        max_future_skew: timedelta | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pause: Callable[[int], None] = backoff,
    ) -> None:
        self._store = store
        self._programs = programs
        self._mint = mint
        self._max_future_skew = max_future_skew
        self._clock = clock
        self._pause = pause

    def preview(self, order: Order) -> Decision:
        """One round trip: the account, the codes and the program timeline in one batch read."""
        self._check_not_in_future(order)
        context = self._store.load_for_order(order, with_record=False)
        _check_redeemer(context.account, order)
        active = self._programs.active(context.timeline, read=False)
        program = active.program
        partner = _stored(context.partner)
        scoring = score(program, context.account.account, order, context.codes)
        credit = preview_credit(program, order, partner, scoring.eligible_amount, member=scoring.decision.member)
        return scoring.decision.model_copy(update={"program_version": active.version, "partner": credit})

    def commit(self, order: Order) -> Committed:
        """Scored by the version in force when its state was read; a replay answers the stored decision."""
        self._check_not_in_future(order)
        for attempt in range(MAX_ATTEMPTS):
            context = self._store.load_for_order(order, with_record=True)
            if context.record is not None:
                return Committed(decision=_replayed(context.record, order), created=False)
            _check_redeemer(context.account, order)
            active = self._programs.active(context.timeline, read=False)
            program = active.program
            referrer, codes = self._with_referrer(program, context, order)
            commit = _stamped(
                commit_order(
                    program,
                    context.account.account,
                    order,
                    codes,
                    mint=self._mint,
                    referrer=referrer.account if referrer else None,
                    partner=_stored(context.partner),
                ),
                active.version,
            )
            partner = _partner_commit_change(program, context.partner, commit)
            shared = partner is not None and _same(referrer, partner.before)  # one write holds both
            try:
                self._store.save_commit(
                    commit,
                    _committed_change(program, context.account, commit),
                    None if shared else _referrer_change(commit, referrer),
                    partner,
                )
            except (OrderAlreadyCommitted, StaleState):
                self._pause(attempt)
                continue
            return Committed(decision=commit.decision, created=True)
        raise ContendedState

    def cancel(self, order_id: str) -> OrderRecord:
        for attempt in range(MAX_ATTEMPTS):
            record = self._store.load_order(order_id)
            if record is None:
                raise NotFound(f"no order {order_id!r}")
            if record.status == "cancelled":
                return record
            account, partner = load_with_partner(self._store, record)
            issued = self._store.load_code(record.issued_code) if record.issued_code else None
            cancellation = cancel_remaining(
                account.account,
                record,
                issued if not isinstance(issued, ReferralCode) else None,
                partner.account if partner else None,
            )
            change = AccountChange(
                before=account,
                account=cancellation.account,
                tier_review_on=record.placed_at.date(),  # volume left the window: review at the next run
                activity_at=record.placed_at,
                event_at=None,
                cancelled_order=record.order_id,
                standing_orders_added=-1,
            )
            try:
                self._store.save_cancel(cancellation, change, reversed_change(partner, cancellation.partner, record))
            except StaleState:
                self._pause(attempt)
                continue
            return cancellation.record
        raise ContendedState

    def _with_referrer(
        self, program: Program, context: OrderContext, order: Order
    ) -> tuple[AccountRecord | None, Mapping[str, Code]]:
        """The referrer a referral code on a first order names, and the codes with its segment known.

        A referral code does not know its referrer's segment; the referrer's account does, and
        an excluded referrer is issued no reward. Only a first order with another's code needs it.
        """
        referral = next(
            (
                code
                for code in context.codes.values()
                if isinstance(code, ReferralCode) and code.customer_id != order.customer_id
            ),
            None,
        )
        if referral is None or context.account.account.has_ordered:
            return None, context.codes
        partner = context.partner
        if partner is not None and partner.account.customer_id == referral.customer_id:
            referrer = partner  # read in the order's batch already
        else:
            referrer = self._store.load_account(referral.customer_id)
        known = dict(context.codes)
        known[referral.code] = referral.model_copy(
            update={"referrer_excluded": referrer.account.excluded_from(program)}
        )
        return referrer, known

    def _check_not_in_future(self, order: Order) -> None:
        if self._max_future_skew is None:
            return
        if order.placed_at > self._clock() + self._max_future_skew:
            raise InvalidInput(
                "placed_at is too far in the future",
                [FieldError(field="placed_at", message="is later than the accepted clock skew", type="future")],
            )


def _check_redeemer(account: AccountRecord, order: Order) -> None:
    """Only the buyers the profile names may spend the company's points (409 ``buyer_may_not_redeem``)."""
    if order.redeem_points > 0 and account.profile is not None:
        account.profile.check_may_redeem(order.buyer_id)


def _stamped(commit: Commit, version: int) -> Commit:
    """The commit with the number of the version that scored it, in its answer and its stored record."""
    decision = commit.decision.model_copy(update={"program_version": version})
    return replace(commit, record=commit.record.model_copy(update={"decision": decision}))


def _replayed(record: OrderRecord, order: Order) -> Decision:
    if record.fingerprint != order.fingerprint():
        raise OrderConflict(f"order {order.order_id!r} was committed with a different payload")
    return record.decision


def _committed_change(program: Program, before: AccountRecord, commit: Commit) -> AccountChange:
    after = commit.account
    placed_at = commit.record.placed_at
    review = None
    if program.tiers is not None and after.tier is not None:
        level = program.tiers.level(after.tier)
        review = review_due_on(program.tiers, level, after.buckets, placed_at) if level else placed_at.date()
    return AccountChange(
        before=before,
        account=after,
        tier_review_on=review,
        activity_at=placed_at,
        event_at=placed_at,
        standing_orders_added=1,
    )


def _referrer_change(commit: Commit, referrer: AccountRecord | None) -> AccountChange | None:
    conversion = commit.referral
    if conversion is None or referrer is None:
        return None
    return AccountChange(
        before=referrer,
        account=conversion.referrer,
        tier_review_on=referrer.tier_review_on,
        activity_at=commit.record.placed_at,
        event_at=None,
    )


def _stored(record: AccountRecord | None) -> Account | None:
    """The account as stored; ``None`` for an id no account has (a partner that does not exist)."""
    return record.account if record is not None and record.exists else None


def _same(first: AccountRecord | None, second: AccountRecord) -> bool:
    return first is not None and first.account.customer_id == second.account.customer_id


def _partner_commit_change(program: Program, before: AccountRecord | None, commit: Commit) -> AccountChange | None:
    """The partner's write: its credit (and the referral reward when it also referred the customer)."""
    update = commit.partner
    if update is None or before is None:
        return None
    after = update.account
    review = before.tier_review_on
    if update.share.volume and program.tiers is not None and after.tier is not None:
        level = program.tiers.level(after.tier)
        placed_at = commit.record.placed_at
        review = review_due_on(program.tiers, level, after.buckets, placed_at) if level else placed_at.date()
    return AccountChange(
        before=before, account=after, tier_review_on=review, activity_at=commit.record.placed_at, event_at=None
    )


def load_with_partner(store: OrderStore, record: OrderRecord) -> tuple[AccountRecord, AccountRecord | None]:
    """The order's account and, when it had one, its partner's, in one read."""
    if record.partner is None:
        return store.load_account(record.customer_id), None
    account, partner = store.load_accounts([record.customer_id, record.partner.partner_id])
    return account, partner


def reversed_change(
    before: AccountRecord | None, update: PartnerUpdate | None, record: OrderRecord
) -> AccountChange | None:
    """The partner's write after a cancel or a return: volume left its window, so a review at the next run."""
    if before is None or update is None:
        return None
    return AccountChange(
        before=before,
        account=update.account,
        tier_review_on=record.placed_at.date() if update.share.volume else before.tier_review_on,
        activity_at=record.placed_at,
        event_at=None,
    )
