"""The email digest as data: what one account's summary shows, computed from what the job gathered.

``build_digest`` is pure and deterministic: the job reads the account, its ledger entries since the
previous digest, its codes and its tier history, and passes them in with the job's time ``at``.
Every line says in plain words why points moved (``text``), and carries the facts behind the words
(``Reason``) so that a renderer can say the same in the account's language. Its ``hints`` look
ahead from the same time: what the program still offers the account's segment (events, order
sizes, the next milestone) and the points about to expire.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer

from loyalty.account import Account
from loyalty.codes import DiscountCode, DiscountKind
from loyalty.commit import REDEEM_RULE, REFERRAL_RULE
from loyalty.decision import Money, PercentText
from loyalty.ledger import LedgerEntry
from loyalty.money import CENT, exact, plain, round_money
from loyalty.profile import Profile
from loyalty.program import (
    AnniversaryBonus,
    CartAmountBonus,
    CartQuantityBonus,
    CategoryMultiplier,
    DiscountEvent,
    FreeProduct,
    MarginPoints,
    MilestoneBonus,
    MultiplierEvent,
    ProductMultiplier,
    Program,
    ProgramRule,
    TierLevel,
    Tiers,
    WelcomeBonus,
)
from loyalty.tiers import held_level, progress
from loyalty.types import Instant

EXPIRING_WITHIN = timedelta(days=30)
"""Points ending within this span after the digest's time are announced as expiring soon."""

EVENTS_WITHIN = timedelta(days=14)
"""Events starting within this span after the digest's time are announced with the ones in force."""

Plain = Annotated[Decimal, PlainSerializer(plain, return_type=str)]
"""A decimal shown as people write it (volumes, multipliers): ``"1790"``, ``"2.5"``."""

ReasonKind = Literal[
    "base",
    "tier_multiplier",
    "tier_bonus",
    "category",
    "event",
    "cart_amount",
    "cart_quantity",
    "milestone",
    "anniversary",
    "margin",
    "referral",
    "redeemed",
    "cancelled",
    "returned",
    "expired",
    "adjusted",
    "other",
]
TierDirection = Literal["up", "down", "same"]


class TierChangeRecord(BaseModel):
    """One change of an account's tier, as the commit or the nightly tier job recorded it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    before: str
    after: str
    at: Instant
    why: str
    """For the audit trail: ``"upgrade on order"``, ``"nightly review: window volume 800 below threshold 1000"``."""


class Shown(BaseModel):
    model_config = ConfigDict(frozen=True)


class Reason(Shown):
    """Why points moved: the plain English words, and the facts a translation needs."""

    kind: ReasonKind
    text: str
    rule: str | None = None
    tier: str | None = None
    category: str | None = None
    multiplier: Plain | None = None
    amount: Money | None = None
    items: int | None = None


class PointsLine(Shown):
    reason: Reason
    points: int
    """Signed: earned and returned points are positive, redeemed, cancelled and expired ones negative."""


class OrderActivity(Shown):
    """What one order did to the balance since the previous digest (its cancellation included)."""

    order_id: str
    placed_at: datetime
    lines: tuple[PointsLine, ...]
    """Earned per rule (in the order the engine scores them), then redeemed, then the cancellation."""
    earned: int
    points: int
    """The net change: earned - redeemed - cancelled + returned."""
    cancelled: bool


class DatedLine(Shown):
    """A change of points not tied to one of the account's own orders: a referral reward, an expiry, an adjustment."""

    at: datetime
    reason: Reason
    points: int
    order_id: str | None = None


class TierStatus(Shown):
    name: str
    discount_percent: PercentText
    points_multiplier: Plain
    free_shipping: bool
    bonus_points_per_order: int
    basis: Literal["quantity", "spend", "orders"]
    """``quantity``: volume and remaining are items; ``orders``: orders; ``spend``: amounts in the currency."""
    window_days: int
    volume: Plain
    next_tier: str | None
    remaining: Plain | None
    """How much more volume reaches ``next_tier`` (``None`` at the highest tier)."""
    progress_percent: int
    """How far the volume has come from this tier's threshold to the next one, 0-100 (100 at the top)."""


class TierChangeLine(Shown):
    before: str
    after: str
    at: datetime
    why: str
    direction: TierDirection
    basis: Literal["quantity", "spend", "orders"] | None
    threshold: Plain | None
    """The threshold reached (up) or missed (down): ``after``'s or ``before``'s."""
    window_days: int | None


class ExpiringPoints(Shown):
    points: int
    expires_at: datetime


class CodeLine(Shown):
    code: str
    kind: DiscountKind
    percent: PercentText
    expires_at: datetime
    new: bool
    """Issued after the previous digest."""


class ReferralStatus(Shown):
    code: str
    referrals: int
    referee_discount_percent: PercentText
    reward_percent: PercentText
    reward_points: int
    max_referrals: int | None


class EventHint(Shown):
    """A multiplier or discount event in force at the digest's time or starting within 14 days of it."""

    rule: str
    kind: Literal["multiplier", "discount"]
    starts_at: datetime
    ends_at: datetime
    """Excluded: the event's last moment is just before it."""
    active: bool
    """In force at the digest's time (else it starts later)."""
    multiplier: Plain | None = None
    percent: PercentText | None = None


class CartHint(Shown):
    """An order size that earns more: bonus points over an amount or a number of items, or a free product."""

    rule: str
    kind: Literal["cart_amount", "cart_quantity", "free_product"]
    amount: Money | None = None
    """``cart_amount`` and ``free_product``: the order subtotal that earns it, in the program's currency."""
    items: int | None = None
    """``cart_quantity``: the number of items that earns it."""
    points: int | None = None
    sku: str | None = None


class MilestoneHint(Shown):
    """The nearest milestone the account has not reached yet."""

    rule: str
    lifetime_spend: Money
    remaining: Money
    """How much more in purchases reaches it (rounded up to the cent, so that it is enough)."""
    points: int


class ExpiringHint(Shown):
    """The digest's expiring points in one line: their total and the first date some end."""

    points: int
    first_at: datetime
    until: datetime


class Hints(Shown):
    """How the account earns more next time, from the program and the account at the digest's time."""

    events: tuple[EventHint, ...]
    """Soonest first: the ones in force, then the ones to come."""
    carts: tuple[CartHint, ...]
    """In program order."""
    milestone: MilestoneHint | None
    expiring: ExpiringHint | None


class Digest(Shown):
    customer_id: str
    customer_name: str | None
    locale: str
    program_name: str
    currency: str
    since: datetime | None
    at: datetime
    orders: tuple[OrderActivity, ...]
    """Oldest first."""
    other_activity: tuple[DatedLine, ...]
    """Referral rewards, expiries and adjustments, oldest first."""
    points_earned: int
    points_change: int
    """The sum of every ledger entry in the digest: what the balance moved by since the previous digest."""
    balance: int
    balance_value: Money
    """``balance * point_value`` (nothing for a negative balance)."""
    point_value: Plain
    tier: TierStatus | None
    tier_changes: tuple[TierChangeLine, ...]
    expiring: tuple[ExpiringPoints, ...]
    """Points that end after ``at`` and within 30 days of it, soonest first."""
    expiring_points: int
    expiring_until: datetime
    codes: tuple[CodeLine, ...]
    """Active single-use discount codes, soonest expiry first."""
    referral: ReferralStatus | None
    hints: Hints | None
    """How to earn more next time; ``None`` when there is nothing to hint."""
    has_activity: bool


def build_digest(
    program: Program,
    account: Account,
    profile: Profile,
    entries: Sequence[LedgerEntry],
    codes: Sequence[DiscountCode],
    referral: tuple[str, int] | None,
    tier_changes: Sequence[TierChangeRecord],
    since: datetime | None,
    at: datetime,
) -> Digest:
    """The digest of ``account`` at ``at``, covering what happened after ``since`` (the previous digest)."""
    changes = sorted(tier_changes, key=lambda change: (change.at, change.before, change.after))
    held_now = _held_now(program, account, at)
    own = [entry for entry in entries if _of_own_order(entry)]
    orders = _orders(program, own, changes, held_now)
    other = _other_activity(program, [entry for entry in entries if not _of_own_order(entry)], changes, held_now)
    expiring = _expiring(account, at)
    code_lines = _codes(codes, since, at)
    tier_lines = tuple(_tier_change(program.tiers, change) for change in changes)
    return Digest(
        customer_id=account.customer_id,
        customer_name=profile.name,
        locale=profile.locale,
        program_name=program.name,
        currency=program.currency,
        since=since,
        at=at,
        orders=orders,
        other_activity=other,
        points_earned=sum(entry.points for entry in entries if entry.kind == "earn"),
        points_change=sum(entry.points for entry in entries),
        balance=account.balance,
        balance_value=_value(program, account.balance),
        point_value=program.point_value,
        tier=_tier_status(program.tiers, account, at),
        tier_changes=tier_lines,
        expiring=expiring,
        expiring_points=sum(item.points for item in expiring),
        expiring_until=at + EXPIRING_WITHIN,
        codes=code_lines,
        referral=_referral(program, referral),
        hints=hints(program, account, expiring, at),
        has_activity=bool(entries or tier_lines or any(code.new for code in code_lines)),
    )


# ---------------------------------------------------------------------------------------------- points lines


def _of_own_order(entry: LedgerEntry) -> bool:
    """Whether an entry belongs to one of the account's own orders (a referral reward names the referee's)."""
    if entry.order_id is None or entry.kind not in ("earn", "redeem", "reverse"):
        return False
    return not (entry.kind == "earn" and entry.rule == REFERRAL_RULE)


def _orders(
    program: Program, entries: Sequence[LedgerEntry], changes: Sequence[TierChangeRecord], held_now: str | None
) -> tuple[OrderActivity, ...]:
    by_order: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        by_order.setdefault(entry.order_id or "", []).append(entry)
    activities = []
    for order_id, own in by_order.items():
        placed_at = min(entry.at for entry in own)
        tier = _tier_held_at(placed_at, changes, held_now)
        lines = [
            PointsLine(reason=describe(program, entry.rule, tier=tier), points=entry.points)
            for entry in sorted(
                (entry for entry in own if entry.kind == "earn"), key=lambda entry: _rule_rank(program, entry.rule)
            )
        ]
        redeemed = sum(entry.points for entry in own if entry.kind == "redeem")
        if redeemed:
            lines.append(PointsLine(reason=Reason(kind="redeemed", text="points redeemed"), points=redeemed))
        reversed_points = sum(entry.points for entry in own if entry.kind == "reverse" and entry.rule != REDEEM_RULE)
        returned = sum(entry.points for entry in own if entry.kind == "reverse" and entry.rule == REDEEM_RULE)
        cancelled = any(entry.kind == "reverse" for entry in own)
        if reversed_points:
            lines.append(PointsLine(reason=Reason(kind="cancelled", text="order cancelled"), points=reversed_points))
        if returned:
            reason = Reason(kind="returned", text="redeemed points returned (order cancelled)")
            lines.append(PointsLine(reason=reason, points=returned))
        activities.append(
            OrderActivity(
                order_id=order_id,
                placed_at=placed_at,
                lines=tuple(lines),
                earned=sum(entry.points for entry in own if entry.kind == "earn"),
                points=sum(entry.points for entry in own),
                cancelled=cancelled,
            )
        )
    return tuple(sorted(activities, key=lambda activity: (activity.placed_at, activity.order_id)))


def _other_activity(
    program: Program, entries: Iterable[LedgerEntry], changes: Sequence[TierChangeRecord], held_now: str | None
) -> tuple[DatedLine, ...]:
    lines = []
    for entry in entries:
        if entry.kind == "expire":
            reason = Reason(kind="expired", text="points expired")
        elif entry.kind == "adjust":
            reason = Reason(kind="adjusted", text="adjustment")
        else:
            reason = describe(program, entry.rule, tier=_tier_held_at(entry.at, changes, held_now))
        lines.append(DatedLine(at=entry.at, reason=reason, points=entry.points, order_id=entry.order_id))
    return tuple(sorted(lines, key=lambda line: (line.at, line.reason.kind, line.order_id or "", line.points)))


def describe(program: Program, rule: str | None, *, tier: str | None = None) -> Reason:
    """The plain words for the rule a ledger line names (``base``, ``tier``, ``tier_bonus``, a program rule id)."""
    if rule == "base":
        return Reason(kind="base", rule=rule, text="points on your purchase")
    if rule == "tier":
        text = f"{tier} tier bonus" if tier else "tier bonus"
        return Reason(kind="tier_multiplier", rule=rule, tier=tier, text=text)
    if rule == "tier_bonus":
        text = f"{tier} bonus per order" if tier else "tier bonus per order"
        return Reason(kind="tier_bonus", rule=rule, tier=tier, text=text)
    if rule == REFERRAL_RULE:
        return Reason(kind="referral", rule=rule, text="referral reward")
    found = next((candidate for candidate in program.rules if candidate.id == rule), None)
    if found is None:
        return Reason(kind="other", rule=rule, text=f"bonus points ({rule})" if rule else "bonus points")
    return _describe_rule(found, program.currency)


def _describe_rule(rule: ProgramRule, currency: str) -> Reason:
    match rule:
        case CategoryMultiplier():
            return Reason(
                kind="category", rule=rule.id, category=rule.category, text=f"extra points on {rule.category}"
            )
        case MultiplierEvent():
            multiplier = rule.multiplier.normalize()
            return Reason(kind="event", rule=rule.id, multiplier=multiplier, text=f"{plain(multiplier)}x event")
        case CartAmountBonus():
            amount = round_money(rule.min_amount)
            text = f"bonus for orders over {amount:,} {currency}"
            return Reason(kind="cart_amount", rule=rule.id, amount=amount, text=text)
        case CartQuantityBonus():
            text = f"bonus for {rule.min_items:,} items or more"
            return Reason(kind="cart_quantity", rule=rule.id, items=rule.min_items, text=text)
        case MilestoneBonus():
            amount = round_money(rule.lifetime_spend)
            text = f"milestone bonus: {amount:,} {currency} in purchases"
            return Reason(kind="milestone", rule=rule.id, amount=amount, text=text)
        case AnniversaryBonus():
            return Reason(kind="anniversary", rule=rule.id, text="anniversary bonus")
        case MarginPoints():
            return Reason(kind="margin", rule=rule.id, text="points on the margin")
    return Reason(kind="other", rule=rule.id, text=f"bonus points ({rule.id})")


def _rule_rank(program: Program, rule: str | None) -> tuple[int, int, str]:
    """The order in which scoring lists breakdown lines (SPEC section 9): base, category and product lines,
    margin, tier, event, cart bonuses, tier bonus, milestone, anniversary, welcome."""
    fixed = {"base": 0, "tier": 3, "tier_bonus": 6, REFERRAL_RULE: 10}
    if rule in fixed:
        return fixed[rule or ""], 0, ""
    ranks: tuple[tuple[type, int], ...] = (
        (CategoryMultiplier, 1),
        (ProductMultiplier, 1),
        (MarginPoints, 2),
        (MultiplierEvent, 4),
        (CartAmountBonus, 5),
        (CartQuantityBonus, 5),
        (MilestoneBonus, 7),
        (AnniversaryBonus, 8),
        (WelcomeBonus, 9),
    )
    for index, candidate in enumerate(program.rules):
        if candidate.id == rule:
            rank = next((rank for kind, rank in ranks if isinstance(candidate, kind)), 11)
            return rank, index, ""
    return 11, 0, rule or ""


# ---------------------------------------------------------------------------------------------- tiers


def _held_now(program: Program, account: Account, at: datetime) -> str | None:
    if program.tiers is None:
        return None
    return held_level(program.tiers, account.tier, account.buckets, at).name


def _tier_held_at(moment: datetime, changes: Sequence[TierChangeRecord], held_now: str | None) -> str | None:
    """The tier held when an order was placed: the one a later (or same-moment) change moved away from.

    An upgrade on an order is recorded at that order's ``placed_at`` and the order itself was scored
    with the tier held before it, so a change at the very moment counts as later.
    """
    return next((change.before for change in changes if change.at >= moment), held_now)


def _tier_status(tiers: Tiers | None, account: Account, at: datetime) -> TierStatus | None:
    if tiers is None:
        return None
    status = progress(tiers, account.tier, account.buckets, at)
    level = held_level(tiers, account.tier, account.buckets, at)
    following = tiers.level(status.next_tier)
    return TierStatus(
        name=level.name,
        discount_percent=level.discount_percent,
        points_multiplier=level.points_multiplier,
        free_shipping=level.free_shipping,
        bonus_points_per_order=level.bonus_points_per_order,
        basis=tiers.basis,
        window_days=tiers.window_days,
        volume=status.volume,
        next_tier=status.next_tier,
        remaining=status.remaining,
        progress_percent=_progress_percent(level, following, status.volume),
    )


def _progress_percent(level: TierLevel, following: TierLevel | None, volume: Decimal) -> int:
    if following is None:
        return 100
    with exact():
        span = following.threshold - level.threshold
        done = volume - level.threshold
    if done <= 0:
        return 0
    return min(int(done * 100 / span), 99)


def _tier_change(tiers: Tiers | None, change: TierChangeRecord) -> TierChangeLine:
    before = tiers.level(change.before) if tiers else None
    after = tiers.level(change.after) if tiers else None
    direction: TierDirection = "same"
    threshold = None
    if tiers is not None and before is not None and after is not None and before != after:
        direction = "up" if tiers.rank(after) > tiers.rank(before) else "down"
        threshold = after.threshold if direction == "up" else before.threshold
    return TierChangeLine(
        before=change.before,
        after=change.after,
        at=change.at,
        why=change.why,
        direction=direction,
        basis=tiers.basis if tiers else None,
        threshold=threshold,
        window_days=tiers.window_days if tiers else None,
    )


# ---------------------------------------------------------------------------------------------- the rest


def _value(program: Program, balance: int) -> Decimal:
    with exact():
        return round_money(max(balance, 0) * program.point_value)


def _expiring(account: Account, at: datetime) -> tuple[ExpiringPoints, ...]:
    totals: dict[datetime, int] = {}
    for lot in account.wallet.expiring(at, at + EXPIRING_WITHIN):
        if lot.expires_at is not None:
            totals[lot.expires_at] = totals.get(lot.expires_at, 0) + lot.remaining
    return tuple(ExpiringPoints(points=points, expires_at=moment) for moment, points in sorted(totals.items()))


def _codes(codes: Sequence[DiscountCode], since: datetime | None, at: datetime) -> tuple[CodeLine, ...]:
    """Codes the account can still use at ``at``; the expiry job may not have closed one that just ended."""
    usable = sorted(
        (code for code in codes if code.status == "active" and code.usable_at(at)),
        key=lambda code: (code.expires_at, code.code),
    )
    return tuple(
        CodeLine(
            code=code.code,
            kind=code.kind,
            percent=code.percent,
            expires_at=code.expires_at,
            new=(since is None or code.issued_at > since) and code.issued_at <= at,
        )
        for code in usable
    )


def _referral(program: Program, referral: tuple[str, int] | None) -> ReferralStatus | None:
    if referral is None or program.referral is None:
        return None
    code, count = referral
    offer = program.referral
    return ReferralStatus(
        code=code,
        referrals=count,
        referee_discount_percent=offer.referee_discount_percent,
        reward_percent=offer.referrer_reward.discount_percent,
        reward_points=offer.referrer_reward.points,
        max_referrals=offer.max_referrals,
    )


# ---------------------------------------------------------------------------------------------- hints


def hints(program: Program, account: Account, expiring: Sequence[ExpiringPoints], at: datetime) -> Hints | None:
    """What the account can still earn at ``at``: events, order sizes, its next milestone, points to use.

    Only the rules that apply to the account's segment are hinted. An account of an excluded segment
    earns no points, so it is told only of what it still gets: discount events and free products. A
    non-member (SPEC section 9) earns nothing and gets no effects either: only discount events.
    """
    rules = [rule for rule in program.rules if rule.applies_to(account.segment)]
    member = account.is_member(program, at)
    earns = member and not account.excluded_from(program)
    found = Hints(
        events=_event_hints(rules, at, earns=earns),
        carts=tuple(hint for rule in rules if (hint := _cart_hint(rule, earns=earns, effects=member)) is not None),
        milestone=_milestone_hint(rules, account) if earns else None,
        expiring=_expiring_hint(expiring, at),
    )
    if not (found.events or found.carts or found.milestone or found.expiring):
        return None
    return found


def _event_hints(rules: Sequence[ProgramRule], at: datetime, *, earns: bool) -> tuple[EventHint, ...]:
    """Events in force at ``at`` (``starts_at <= at < ends_at``) or starting at most 14 days after it."""
    horizon = at + EVENTS_WITHIN
    found = []
    for rule in rules:
        if not isinstance(rule, MultiplierEvent | DiscountEvent) or rule.ends_at <= at or rule.starts_at > horizon:
            continue
        if isinstance(rule, MultiplierEvent):
            if not earns:
                continue
            hint = EventHint(
                rule=rule.id,
                kind="multiplier",
                starts_at=rule.starts_at,
                ends_at=rule.ends_at,
                active=rule.active_at(at),
                multiplier=rule.multiplier.normalize(),
            )
        else:
            hint = EventHint(
                rule=rule.id,
                kind="discount",
                starts_at=rule.starts_at,
                ends_at=rule.ends_at,
                active=rule.active_at(at),
                percent=rule.percent,
            )
        found.append(hint)
    return tuple(sorted(found, key=lambda hint: (hint.starts_at, hint.ends_at, hint.rule)))


def _cart_hint(rule: ProgramRule, *, earns: bool, effects: bool) -> CartHint | None:
    match rule:
        case CartAmountBonus() if earns:
            return CartHint(rule=rule.id, kind="cart_amount", amount=round_money(rule.min_amount), points=rule.points)
        case CartQuantityBonus() if earns:
            return CartHint(rule=rule.id, kind="cart_quantity", items=rule.min_items, points=rule.points)
        case FreeProduct() if effects:
            return CartHint(rule=rule.id, kind="free_product", amount=round_money(rule.min_amount), sku=rule.sku)
    return None


def _milestone_hint(rules: Sequence[ProgramRule], account: Account) -> MilestoneHint | None:
    """The lowest milestone still ahead: not awarded, and above the lifetime spend (scoring awards no other)."""
    ahead = [
        rule
        for rule in rules
        if isinstance(rule, MilestoneBonus)
        and rule.id not in account.milestones_reached
        and rule.lifetime_spend > account.lifetime_spend
    ]
    nearest = min(ahead, key=lambda rule: (rule.lifetime_spend, rule.id), default=None)
    if nearest is None:
        return None
    with exact():
        remaining = nearest.lifetime_spend - account.lifetime_spend
    return MilestoneHint(
        rule=nearest.id,
        lifetime_spend=round_money(nearest.lifetime_spend),
        remaining=remaining.quantize(CENT, rounding=ROUND_CEILING),
        points=nearest.points,
    )


def _expiring_hint(expiring: Sequence[ExpiringPoints], at: datetime) -> ExpiringHint | None:
    """The digest's own expiring points (soonest first), summed: nothing is looked up twice."""
    total = sum(item.points for item in expiring)
    if not expiring or total <= 0:
        return None
    return ExpiringHint(points=total, first_at=expiring[0].expires_at, until=at + EXPIRING_WITHIN)
