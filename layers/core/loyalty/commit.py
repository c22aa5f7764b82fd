"""Committing a scored order: the new account state, its ledger entries, the codes used and issued.

``commit_order`` is everything one order changes, computed before anything is written, so an
adapter can write it in a single transaction. ``cancel_order`` is its exact reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from loyalty.account import Account
from loyalty.buyers import added, taken_off
from loyalty.codes import Code, DiscountCode, DiscountKind, ReferralCode
from loyalty.decision import BreakdownLine, Decision, IssuedDiscount, PartnerCredit
from loyalty.errors import CodeRejected
from loyalty.ledger import LedgerEntry
from loyalty.money import EXACT, exact
from loyalty.order import Order
from loyalty.partners import PartnerShare, PartnerUpdate, check_partner, credit, reverse
from loyalty.program import Program
from loyalty.returned import ReturnRecord
from loyalty.scoring import Scoring, score
from loyalty.tier_history import TierHistoryEntry, upgrade_entry
from loyalty.tiers import add_volume, remove_volume
from loyalty.types import Identifier, Instant, Points
from loyalty.wallet import Lot

CodeMinter = Callable[[DiscountKind], str]
"""Makes a new, unguessable code. Injected: the core has no source of randomness of its own."""

REFERRAL_RULE = "referral"
REDEEM_RULE = "redeem"


class OrderRecord(BaseModel):
    """What a commit leaves behind: the answer to replay, and all a cancel needs to undo it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_id: Identifier
    customer_id: Identifier
    buyer_id: Identifier | None = None
    placed_at: Instant
    fingerprint: str
    decision: Decision
    status: Literal["committed", "cancelled"] = "committed"
    items: Points
    eligible_amount: Decimal
    redeemed_from: dict[str, int]
    redeemed_lots: tuple[Lot, ...] = ()
    """The lots ``redeemed_from`` drew on, as the commit found them: a cancel puts back any emptied since."""
    lot_id: str | None
    used_codes: tuple[str, ...]
    issued_code: str | None
    referral_code: str | None
    referrer_id: str | None
    milestones: tuple[str, ...]
    anniversary: int | None
    anniversaries_before: Points
    points_reversed: Points | None = None
    balance_after_cancel: int | None = None
    order: Order | None = None
    """The order as committed (lines included): what a backtest replays. Absent on records older than it."""
    returns: tuple[ReturnRecord, ...] = ()
    """Returns of some of its lines, oldest first (``loyalty.returns``); a cancel reverses what they left."""
    imported: bool = False
    """Recorded by a history import (``loyalty.history``): it earned, redeemed and issued nothing."""
    partner: PartnerShare | None = None
    """What the order credited the partner that brought it (``loyalty.partners``)."""


@dataclass(frozen=True)
class ReferralConversion:
    code: ReferralCode
    referrer: Account
    """The referrer after its reward (unchanged when the reward carries no points)."""
    reward_code: DiscountCode | None
    ledger: tuple[LedgerEntry, ...]


@dataclass(frozen=True)
class Commit:
    record: OrderRecord
    account: Account
    ledger: tuple[LedgerEntry, ...]
    used_codes: tuple[DiscountCode, ...]
    issued_code: DiscountCode | None
    referral: ReferralConversion | None
    tier_change: TierHistoryEntry | None = None
    """Why the account's tier changed with this order (an upgrade), for its tier history."""
    partner: PartnerUpdate | None = None
    """The partner that brought the order, credited (with the referrer's reward when it is also the referrer)."""

    @property
    def decision(self) -> Decision:
        return self.record.decision


@dataclass(frozen=True)
class Cancellation:
    record: OrderRecord
    account: Account
    ledger: tuple[LedgerEntry, ...]
    revoked_code: str | None
    partner: PartnerUpdate | None = None
    """The partner that brought the order, its credit taken back."""


@dataclass(frozen=True, slots=True)
class Applied:
    """What one order does to its account, before anything is recorded: ``commit_order`` without its record.

    A backtest replays orders with this alone: the record, its fingerprint and the ledger entries
    are what a live commit writes, and a replay writes nothing.
    """

    scoring: Scoring
    account: Account
    """The account after the order (its decision's ``balance`` is this account's)."""
    redeemed_from: dict[str, int]
    lot: Lot | None
    issued: DiscountCode | None

    @property
    def decision(self) -> Decision:
        """The decision as scored: ``Commit.decision`` without its ``balance`` and ``issued_discount``."""
        return self.scoring.decision


def apply_order(
    program: Program, account: Account, order: Order, known_codes: Mapping[str, Code], *, mint: CodeMinter | None
) -> Applied:
    """Score one order and work out the account after it: every rule a commit applies to the buyer's account.

    ``mint=None`` issues no next-purchase code (``issued`` is ``None``): a replay that only counts the
    codes it would issue asks ``issues_next_purchase`` rather than building codes that nobody keeps.
    Raises ``CodeRejected`` for a code a preview would reject.
    """
    scoring = score(program, account, order, known_codes)
    decision = scoring.decision
    if decision.rejected_codes:
        first = decision.rejected_codes[0]
        raise CodeRejected(first.code, first.reason)

    # Each field of the order, the decision and the account read once: a model's attribute read is not free.
    order_id = order.order_id
    placed_at = order.placed_at
    eligible = scoring.eligible_amount
    wallet, redeemed_from = account.wallet.redeem(order.redeem_points)
    lot = _lot(program, order_id, order_id, placed_at, decision.points)
    if lot is not None:
        wallet = wallet.earn(lot)
    issued = None if mint is None else _next_purchase_code(program, order, scoring, mint)

    tier = decision.tier
    first_order_at = account.first_order_at
    reached = account.milestones_reached
    after = account.model_copy(
        update={
            "tier": tier.after if tier else account.tier,
            "buckets": add_volume(account.buckets, placed_at.date(), order.items, eligible),
            "lifetime_spend": _plus(account.lifetime_spend, eligible),
            "wallet": wallet,
            "first_order_at": placed_at if first_order_at is None else min(first_order_at, placed_at),
            "anniversaries_rewarded": scoring.anniversary or account.anniversaries_rewarded,
            "milestones_reached": (reached | set(scoring.milestones)) if scoring.milestones else reached,
        }
    )
    return Applied(scoring=scoring, account=after, redeemed_from=redeemed_from, lot=lot, issued=issued)


def commit_order(
    program: Program,
    account: Account,
    order: Order,
    known_codes: Mapping[str, Code],
    *,
    mint: CodeMinter,
    referrer: Account | None = None,
    partner: Account | None = None,
) -> Commit:
    """Score and apply one order, and record it. Raises ``CodeRejected`` for a code a preview would reject.

    ``partner`` is the account ``order.partner_id`` names as stored (``None``: no such account, a 422).
    """
    check_partner(program, order, partner)
    applied = apply_order(program, account, order, known_codes, mint=mint)
    scoring, after, lot, issued = applied.scoring, applied.account, applied.lot, applied.issued
    referral = _convert_referral(program, order, scoring.codes.referral, referrer, mint)
    credited = None
    if order.partner_id is not None and partner is not None:
        if referral is not None and referral.referrer.customer_id == partner.customer_id:
            partner = referral.referrer  # one account, one write: the reward and the credit together
        credited = credit(program, order, partner, scoring.eligible_amount, member=scoring.decision.member)
    decision = scoring.decision.model_copy(
        update={
            "partner": PartnerCredit(partner_id=credited.share.partner_id, points=credited.share.points)
            if credited
            else None,
            "balance": after.balance,
            "issued_discount": IssuedDiscount(code=issued.code, percent=issued.percent, expires_at=issued.expires_at)
            if issued
            else None,
        }
    )
    record = OrderRecord(
        order_id=order.order_id,
        customer_id=order.customer_id,
        buyer_id=order.buyer_id,
        placed_at=order.placed_at,
        fingerprint=order.fingerprint(),
        decision=decision,
        items=order.items,
        eligible_amount=scoring.eligible_amount,
        redeemed_from=applied.redeemed_from,
        redeemed_lots=account.wallet.held(applied.redeemed_from),
        lot_id=lot.lot_id if lot else None,
        used_codes=tuple(code.code for code in scoring.codes.discounts),
        issued_code=issued.code if issued else None,
        referral_code=scoring.codes.referral.code if scoring.codes.referral else None,
        referrer_id=scoring.codes.referral.customer_id if scoring.codes.referral else None,
        milestones=scoring.milestones,
        anniversary=scoring.anniversary,
        anniversaries_before=account.anniversaries_rewarded,
        order=order,
        partner=credited.share if credited else None,
    )
    used = tuple(
        code.model_copy(update={"status": "used", "used_by_order": order.order_id}) for code in scoring.codes.discounts
    )
    # the buyer's totals are a commit's alone: ``apply_order`` (a backtest's step) has no use for them
    buyers = added(
        after.buyers,
        order.buyer_id,
        placed_at=order.placed_at,
        revenue=scoring.eligible_amount,
        points_earned=decision.points,
        points_redeemed=decision.points_redeemed,
    )
    after = after.model_copy(update={"buyers": buyers})
    return Commit(
        record=record,
        account=after,
        ledger=_order_ledger(record),
        used_codes=used,
        issued_code=issued,
        referral=referral,
        tier_change=_tier_change(program, decision, after, order),
        partner=credited,
    )


def cancel_order(
    account: Account,
    record: OrderRecord,
    issued_code: DiscountCode | None,
    partner: Account | None = None,
    *,
    order_ends: bool = True,
) -> Cancellation:
    """Undo a committed order: reverse what it earned, give back what it redeemed, remove its volume.

    The tier stays until the nightly review; consumed codes stay consumed; referral counts stay.
    ``order_ends=False`` (a partial return) leaves the order itself standing: it still counts as one order.
    ``partner``, the account of ``record.partner`` when the order had one, loses what it was credited.
    """
    if record.status != "committed":
        raise ValueError(f"order {record.order_id} is {record.status}")
    earned = record.decision.points
    wallet = account.wallet.give_back(record.redeemed_from, record.redeemed_lots)
    if record.lot_id is not None:
        wallet = wallet.take_back(record.lot_id, earned)
    anniversaries = (
        record.anniversaries_before
        if record.anniversary is not None and account.anniversaries_rewarded == record.anniversary
        else account.anniversaries_rewarded
    )
    with exact():
        lifetime = account.lifetime_spend - record.eligible_amount
    after = account.model_copy(
        update={
            "wallet": wallet,
            "buckets": remove_volume(
                account.buckets,
                record.placed_at.date(),
                record.items,
                record.eligible_amount,
                orders=1 if order_ends else 0,
            ),
            "lifetime_spend": lifetime,
            "milestones_reached": account.milestones_reached - set(record.milestones),
            "anniversaries_rewarded": anniversaries,
            "buyers": taken_off(
                account.buyers,
                record.buyer_id,
                revenue=record.eligible_amount,
                points_earned=earned,
                points_redeemed=record.decision.points_redeemed,
                ends_order=order_ends,
            ),
        }
    )
    revoked = issued_code.code if issued_code is not None and issued_code.status == "active" else None
    cancelled = record.model_copy(
        update={"status": "cancelled", "points_reversed": earned, "balance_after_cancel": after.balance}
    )
    return Cancellation(
        record=cancelled,
        account=after,
        ledger=_cancel_ledger(record),
        revoked_code=revoked,
        partner=_reverse_partner(record, partner, whole=True),
    )


def _reverse_partner(record: OrderRecord, partner: Account | None, *, whole: bool) -> PartnerUpdate | None:
    share = record.partner
    if share is None:
        return None
    if partner is None or partner.customer_id != share.partner_id:
        raise ValueError(f"the partner {share.partner_id} must be given to reverse its credit")
    return reverse(
        partner,
        share,
        order_id=record.order_id,
        placed_at=record.placed_at,
        items=record.items,
        eligible=record.eligible_amount,
        whole=whole,
    )


def _tier_change(program: Program, decision: Decision, after: Account, order: Order) -> TierHistoryEntry | None:
    change = decision.tier
    if program.tiers is None or change is None or change.before == change.after:
        return None
    return upgrade_entry(program.tiers, change.before, change.after, after.buckets, order.placed_at, order.order_id)


def _plus(first: Decimal, second: Decimal) -> Decimal:
    return EXACT.add(first, second)  # the arithmetic of ``with exact()``, without entering it for one sum


def _lot(program: Program, lot_id: str, order_id: str, placed_at: datetime, points: int) -> Lot | None:
    if points <= 0:
        return None
    return Lot.earned(lot_id, order_id, placed_at, points, program.points_expire_after_days)


def issues_next_purchase(program: Program, scoring: Scoring) -> bool:
    """Whether an order so scored earns the program's next-purchase discount: the rule ``apply_order`` issues by."""
    offer = program.next_purchase_discount
    return not scoring.excluded and offer is not None and scoring.eligible_amount >= offer.min_amount


def _next_purchase_code(program: Program, order: Order, scoring: Scoring, mint: CodeMinter) -> DiscountCode | None:
    offer = program.next_purchase_discount
    if offer is None or not issues_next_purchase(program, scoring):
        return None
    return DiscountCode(
        code=mint("next_purchase"),
        kind="next_purchase",
        customer_id=order.customer_id,
        percent=offer.percent,
        issued_at=order.placed_at,
        expires_at=order.placed_at + timedelta(days=offer.valid_days),
        issued_by_order=order.order_id,
    )


def _convert_referral(
    program: Program, order: Order, code: ReferralCode | None, referrer: Account | None, mint: CodeMinter
) -> ReferralConversion | None:
    if code is None or program.referral is None:
        return None
    reward = program.referral.referrer_reward
    counted = code.model_copy(update={"referrals": code.referrals + 1})
    rewarded = not code.referrer_excluded
    reward_code = None
    if rewarded and reward.discount_percent > 0:
        reward_code = DiscountCode(
            code=mint("referral_reward"),
            kind="referral_reward",
            customer_id=code.customer_id,
            percent=reward.discount_percent,
            issued_at=order.placed_at,
            expires_at=order.placed_at + timedelta(days=reward.valid_days),
            issued_by_order=order.order_id,
        )
    if referrer is None or referrer.customer_id != code.customer_id:
        raise ValueError(f"the referrer {code.customer_id} must be given to convert its referral")
    referrer_after = referrer
    ledger: tuple[LedgerEntry, ...] = ()
    lot = _lot(program, f"{order.order_id}#{REFERRAL_RULE}", order.order_id, order.placed_at, reward.points)
    if rewarded and lot is not None:
        referrer_after = referrer_after.model_copy(update={"wallet": referrer_after.wallet.earn(lot)})
        ledger = (
            LedgerEntry(
                customer_id=code.customer_id,
                at=order.placed_at,
                kind="earn",
                points=lot.points,
                rule=REFERRAL_RULE,
                order_id=order.order_id,
                lot_id=lot.lot_id,
            ),
        )
    return ReferralConversion(code=counted, referrer=referrer_after, reward_code=reward_code, ledger=ledger)


def _entry(record: OrderRecord, kind: Literal["earn", "redeem", "reverse"], line: BreakdownLine) -> LedgerEntry:
    return LedgerEntry(
        customer_id=record.customer_id,
        at=record.placed_at,
        kind=kind,
        points=line.points,
        rule=line.rule,
        order_id=record.order_id,
        buyer_id=record.buyer_id,
        lot_id=record.lot_id if kind != "redeem" else None,
    )


def _order_ledger(record: OrderRecord) -> tuple[LedgerEntry, ...]:
    redeemed = record.decision.points_redeemed
    spent = (_entry(record, "redeem", BreakdownLine(rule=REDEEM_RULE, points=-redeemed)),) if redeemed else ()
    return (*spent, *(_entry(record, "earn", line) for line in record.decision.breakdown))


def _cancel_ledger(record: OrderRecord) -> tuple[LedgerEntry, ...]:
    reversed_lines = tuple(
        _entry(record, "reverse", BreakdownLine(rule=line.rule, points=-line.points))
        for line in record.decision.breakdown
    )
    redeemed = record.decision.points_redeemed
    returned = (_entry(record, "reverse", BreakdownLine(rule=REDEEM_RULE, points=redeemed)),) if redeemed else ()
    return (*reversed_lines, *returned)
