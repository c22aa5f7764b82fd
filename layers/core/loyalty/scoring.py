"""Scoring: program + account + order + the codes it carries -> the decision. Pure and exact.

This module is SPEC section 3 ("Scoring semantics") in code; the functions below follow its
lines in order. It writes nothing: a preview is ``score`` alone, a commit is ``score`` then
``commit.settle``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from loyalty.account import Account, anniversary_due
from loyalty.codes import NO_CODES, Code, CodeCheck, RejectedCode, check_codes
from loyalty.decision import Decision, Effect, TierChange
from loyalty.errors import InsufficientPoints, RedemptionExceedsAmount
from loyalty.membership import NotMember
from loyalty.money import EXACT, HUNDRED, ZERO, exact, floor_points, floor_ratio, round_money, round_parts
from loyalty.order import Order, OrderTotals
from loyalty.program import Program
from loyalty.rulebook import Level, Multiplied, Rulebook, TimeBoxedRule, rulebook
from loyalty.tiers import held_level, window_volume


class Scoring(NamedTuple):
    """A decision and the exact figures a commit needs to apply it.

    A named tuple: as immutable as a frozen dataclass, which sets each field through
    ``object.__setattr__`` and costs three times as much to build, once per decision.
    """

    decision: Decision
    codes: CodeCheck
    eligible_amount: Decimal
    """Exact, unrounded: it feeds lifetime spend and spend-based tier volume."""
    excluded: bool
    milestones: tuple[str, ...]
    anniversary: int | None
    """The anniversary this order rewards, if any."""


FREE_SHIPPING = Effect(kind="free_shipping")

DiscountSource = tuple[str, Decimal, str | None]
"""(source, percent, label): the label is the code or the rule that gives the discount."""


def score(program: Program, account: Account, order: Order, known_codes: Mapping[str, Code]) -> Scoring:
    # The order's and the account's fields are read once each: a model's attribute read is not free.
    order.check_currency(program.currency)
    placed_at = order.placed_at
    redeem_points = order.redeem_points
    rules = rulebook(program, account.segment)
    member = rules.open_enrollment or account.is_member(program, placed_at)
    if not member and redeem_points:
        raise NotMember(f"account {account.customer_id!r} is not a member: it cannot redeem points")
    has_ordered = account.has_ordered
    customer_id = order.customer_id
    order_codes = order.codes
    if not order_codes:  # most orders: nothing to check, and the shared answer for no codes
        codes = NO_CODES
    elif member:
        codes = check_codes(
            program,
            customer_id=customer_id,
            has_ordered=has_ordered,
            placed_at=placed_at,
            codes=order_codes,
            known=known_codes,
        )
    else:
        codes = _not_member_codes(order_codes)
    held = None
    if rules.tiers is not None:
        held = rules.levels.get(account.tier) or _level_by_volume(rules, account, placed_at)
    cart = order.totals
    subtotal = cart.subtotal
    discounts, discount_total = _discounts(
        rules, held if member else None, codes, subtotal, _rule_discounts(rules, has_ordered, placed_at)
    )
    payable = EXACT.subtract(subtotal, discount_total)
    eligible = EXACT.subtract(payable, _redeemed_value(program, account, redeem_points, payable))

    excluded = rules.excluded or not member
    milestones = () if excluded else _milestones_reached(rules, account, eligible)
    anniversary = None if excluded else _anniversary_due(account, placed_at)
    breakdown = (
        []
        if excluded
        else _breakdown(rules, order, cart, held, eligible, milestones, anniversary, has_ordered, placed_at)
    )

    # One validation builds the decision with its discount and breakdown lines: a model built per
    # line and then checked again as a field of the decision costs about twice as much.
    decision = Decision.model_validate(
        {
            "order_id": order.order_id,
            "customer_id": customer_id,
            "subtotal": round_money(subtotal),
            "discounts": discounts,
            "discount_total": discount_total,
            "points_redeemed": redeem_points,
            "eligible_amount": round_money(eligible),
            "points": sum([points for _, points in breakdown]),
            "breakdown": [{"rule": rule, "points": points} for rule, points in breakdown],
            "effects": _effects(rules, held, subtotal) if member else (),
            "rejected_codes": codes.rejected,
            "tier": _tier_change(rules, account, placed_at, cart, held, eligible),
            "member": member,
        }
    )
    return Scoring(
        decision=decision,
        codes=codes,
        eligible_amount=eligible,
        excluded=excluded,
        milestones=milestones,
        anniversary=anniversary,
    )


def _level_by_volume(rules: Rulebook, account: Account, placed_at: datetime) -> Level:
    """The level of an account whose recorded tier the program no longer has (or that has none): its volume's."""
    assert rules.tiers is not None, "only a program with tiers has levels"
    return rules.levels[held_level(rules.tiers, account.tier, account.buckets, placed_at).name]


def _not_member_codes(codes: Iterable[str]) -> CodeCheck:
    """A non-member uses no code: each is rejected, so a commit carrying one is refused like any rejected code."""
    rejected = tuple(RejectedCode(code=text, reason="not_member") for text in codes)
    return CodeCheck(rejected=rejected) if rejected else NO_CODES


def _rule_discounts(rules: Rulebook, has_ordered: bool, placed_at: datetime) -> tuple[DiscountSource, ...]:
    """The program rules' discounts: first order, then the single highest active event."""
    found = [] if has_ordered else list(rules.first_order_discounts)
    event = _strongest(rules.discount_events, placed_at)
    if event is not None:
        found.append(("event", event.value, event.rule_id))
    return tuple(found)


def _discounts(
    rules: Rulebook,
    held: Level | None,
    codes: CodeCheck,
    subtotal: Decimal,
    by_rules: tuple[DiscountSource, ...] = (),
) -> tuple[list[dict[str, object]], Decimal]:
    """One line per source (tier, codes in the order given, referral, first_order, event); the cap trims the last.

    The lines are the decision's ``discounts`` as it validates them, with their total.
    """
    sources: list[DiscountSource] = []
    if held is not None and held.discount_percent > 0:
        sources.append(("tier", held.discount_percent, None))
    if codes is not NO_CODES:  # an order without codes (most) carries the shared NO_CODES
        sources.extend(("code", code.percent, code.code) for code in codes.discounts)
        if codes.referral is not None and rules.referee_discount_percent is not None:
            sources.append(("referral", rules.referee_discount_percent, codes.referral.code))
    sources.extend(by_rules)
    if not sources:
        return [], ZERO

    room = rules.max_discount_percent
    percents = []
    for _, percent, _ in sources:  # EXACT's own methods: a source or two does not repay copying a context
        granted = min(percent, room)
        percents.append(granted)
        room = EXACT.subtract(room, granted)
    shares = [EXACT.divide(EXACT.multiply(subtotal, percent), HUNDRED) for percent in percents]
    amounts = _within(round_parts(shares), subtotal)
    total = ZERO
    for amount in amounts:
        total = EXACT.add(total, amount)
    lines: list[dict[str, object]] = [
        {
            "source": source,
            "percent": percent,
            "amount": amount,
            "code": label if source in ("code", "referral") else None,
            "rule": label if source in ("first_order", "event") else None,
        }
        for (source, _, label), percent, amount in zip(sources, percents, amounts, strict=True)
    ]
    return lines, total


def _within(amounts: list[Decimal], subtotal: Decimal) -> list[Decimal]:
    """Cut the last amounts so the discounts never exceed the subtotal.

    Rounding to cents can otherwise overshoot a subtotal with fractions of a cent: 100% of 0.006
    rounds to 0.01. The rounded total is the rule; the subtotal is the bound it cannot pass.
    """
    excess = EXACT.subtract(sum(amounts, ZERO), subtotal)
    if excess <= 0:
        return amounts
    capped = list(amounts)
    for index in reversed(range(len(capped))):
        if excess <= 0:
            break
        cut = min(capped[index], excess)
        capped[index] = EXACT.subtract(capped[index], cut)
        excess = EXACT.subtract(excess, cut)
    return capped


def _redeemed_value(program: Program, account: Account, redeem_points: int, payable: Decimal) -> Decimal:
    if not redeem_points:
        return ZERO
    if redeem_points > account.balance:
        raise InsufficientPoints(redeem_points, account.balance)
    value = EXACT.multiply(redeem_points, program.point_value)
    if value > payable:
        raise RedemptionExceedsAmount(
            f"{redeem_points} points are worth {round_money(value)}, "
            f"more than the {round_money(payable)} left to pay after discounts"
        )
    return value


def _breakdown(
    rules: Rulebook,
    order: Order,
    cart: OrderTotals,
    held: Level | None,
    eligible: Decimal,
    milestones: tuple[str, ...],
    anniversary: int | None,
    account_has_ordered: bool,
    placed_at: datetime,
) -> list[tuple[str, int]]:
    """The (rule, points) lines in SPEC section 9's order: base, category and product lines (program order),
    margin, tier, event, cart bonuses, tier_bonus, milestone, anniversary, welcome. Lines of 0 are left out."""
    points_per_unit = rules.points_per_unit
    # EXACT's own methods for the three products below: entering ``with exact()`` copies the context, each time.
    lines = [("base", floor_points(EXACT.multiply(eligible, points_per_unit)))]
    for multiplied in rules.multipliers:
        lines.append((multiplied.rule_id, _multiplied_points(order, cart, points_per_unit, multiplied, eligible)))
    # Tier and event multiply the base, category and product lines only, never the margin.
    multiplied_total = sum([points for _, points in lines])
    if rules.margins:
        margin = _margin(order)
        for rule in rules.margins:
            lines.append((rule.rule_id, _margin_points(cart, margin, rule.points_per_unit, eligible)))
    if held is not None:
        lines.append(("tier", _extra_points(multiplied_total, held.extra)))
    event = _strongest(rules.events, placed_at)
    if event is not None:
        lines.append((event.rule_id, _extra_points(multiplied_total, event.extra)))
    lines.extend([(bonus.rule_id, bonus.points) for bonus in rules.cart_bonuses if bonus.reached_by(cart)])
    if held is not None:
        lines.append(("tier_bonus", held.bonus_points))
    if milestones:
        lines.extend([(rule.rule_id, rule.points) for rule in rules.milestones if rule.rule_id in milestones])
    if anniversary is not None:
        lines.extend(rules.anniversary_lines)
    if not account_has_ordered:
        lines.extend(rules.welcome_lines)
    return [(rule, points) for rule, points in lines if points > 0]


def _extra_points(points: int, extra: Decimal) -> int:
    """What a multiplier adds to ``points``: floor(points x extra), ``extra`` being the multiplier less 1."""
    return floor_points(EXACT.multiply(points, extra))


def _multiplied_points(
    order: Order, cart: OrderTotals, points_per_unit: Decimal, multiplied: Multiplied, eligible: Decimal
) -> int:
    """The share of the eligible amount in the rule's category or skus, times the extra multiplier: exact, floored once.

    share = (the lines' amount) * eligible / subtotal, so the points are the floor of one exact ratio.
    """
    subtotal = cart.subtotal
    if subtotal == 0:
        return 0
    if multiplied.category is not None:
        amount = cart.category_amount(multiplied.category)
    else:
        skus = multiplied.skus
        with exact():
            amount = sum(
                [amount for line, amount in zip(order.lines, cart.amounts, strict=True) if line.sku in skus], ZERO
            )
    return floor_ratio((amount, eligible, points_per_unit, multiplied.extra), subtotal)


def _margin(order: Order) -> Decimal:
    """Sum over the lines with a ``unit_cost`` of max(unit_price - unit_cost, 0) x quantity, exactly."""
    with exact():
        return sum(
            [
                max(line.unit_price - line.unit_cost, ZERO) * line.quantity
                for line in order.lines
                if line.unit_cost is not None
            ],
            ZERO,
        )


def _margin_points(cart: OrderTotals, margin: Decimal, points_per_unit: Decimal, eligible: Decimal) -> int:
    """floor(margin x eligible / subtotal x points_per_unit): the margin in the share that earns, floored once."""
    subtotal = cart.subtotal
    if subtotal == 0 or margin == 0:
        return 0
    return floor_ratio((margin, eligible, points_per_unit), subtotal)


def _strongest(rules: tuple[TimeBoxedRule, ...], placed_at: datetime) -> TimeBoxedRule | None:
    """The event in force with the highest multiplier (or discount), the first listed among equals."""
    strongest = None
    for rule in rules:
        if rule.active_at(placed_at) and (strongest is None or rule.value > strongest.value):
            strongest = rule
    return strongest


def _milestones_reached(rules: Rulebook, account: Account, eligible: Decimal) -> tuple[str, ...]:
    if not rules.milestones:
        return ()
    before = account.lifetime_spend
    after = EXACT.add(before, eligible)
    reached = account.milestones_reached
    return tuple(
        [
            rule.rule_id
            for rule in rules.milestones
            if before < rule.lifetime_spend <= after and rule.rule_id not in reached
        ]
    )


def _anniversary_due(account: Account, placed_at: datetime) -> int | None:
    first_order_at = account.first_order_at
    if first_order_at is None:
        return None
    return anniversary_due(first_order_at, account.anniversaries_rewarded, placed_at)


def _effects(rules: Rulebook, held: Level | None, subtotal: Decimal) -> tuple[Effect, ...]:
    effects = [FREE_SHIPPING] if held is not None and held.free_shipping else []
    effects.extend([effect for minimum, effect in rules.free_products if subtotal >= minimum])
    return tuple(effects)


def _tier_change(
    rules: Rulebook,
    account: Account,
    placed_at: datetime,
    cart: OrderTotals,
    held: Level | None,
    eligible: Decimal,
) -> TierChange | None:
    tiers = rules.tiers
    if tiers is None or held is None:
        return None
    if held is rules.ladder[-1]:
        # An order never takes a tier down, so the highest level stays: no volume to add up for it.
        return rules.tier_change(held.name, held.name)
    basis = tiers.basis
    if basis == "quantity":
        added = Decimal(cart.items)
    elif basis == "orders":
        added = Decimal(1)  # this order, standing from its commit
    else:
        added = eligible
    volume = EXACT.add(window_volume(tiers, account.buckets, placed_at), added)
    reached = rules.level_for(volume)
    after = held if held.rank >= reached.rank else reached
    return rules.tier_change(held.name, after.name)
