"""Scoring: program + account + order + the codes it carries -> the decision. Pure and exact.

This module is SPEC section 3 ("Scoring semantics") in code; the functions below follow its
lines in order. It writes nothing: a preview is ``score`` alone, a commit is ``score`` then
``commit.settle``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from loyalty.account import Account, anniversary_due
from loyalty.codes import NO_CODES, Code, CodeCheck, RejectedCode, check_codes
from loyalty.decision import Decision, DiscountLine, Effect, TierChange
from loyalty.errors import InsufficientPoints, RedemptionExceedsAmount
from loyalty.membership import NotMember
from loyalty.money import EXACT, HUNDRED, ZERO, exact, floor_points, floor_ratio, round_money, round_parts
from loyalty.order import Order, OrderTotals
from loyalty.program import MultiplierEvent, Program, TierLevel
from loyalty.rulebook import Multiplied, Rulebook, rulebook
from loyalty.tiers import held_level, higher, level_for, window_volume


@dataclass(frozen=True)
class Scoring:
    """A decision and the exact figures a commit needs to apply it."""

    decision: Decision
    codes: CodeCheck
    eligible_amount: Decimal
    """Exact, unrounded: it feeds lifetime spend and spend-based tier volume."""
    excluded: bool
    milestones: tuple[str, ...]
    anniversary: int | None
    """The anniversary this order rewards, if any."""


FREE_SHIPPING = Effect(kind="free_shipping")


def score(program: Program, account: Account, order: Order, known_codes: Mapping[str, Code]) -> Scoring:
    order.check_currency(program.currency)
    member = account.is_member(program, order.placed_at)
    if not member and order.redeem_points:
        raise NotMember(f"account {account.customer_id!r} is not a member: it cannot redeem points")
    codes = (
        check_codes(
            program,
            customer_id=order.customer_id,
            has_ordered=account.has_ordered,
            placed_at=order.placed_at,
            codes=order.codes,
            known=known_codes,
        )
        if member
        else _not_member_codes(order.codes)
    )
    rules = rulebook(program, account.segment)
    tiers = program.tiers
    held = None
    if tiers is not None:
        held = rules.levels.get(account.tier) or held_level(tiers, account.tier, account.buckets, order.placed_at)
    cart = order.totals
    subtotal = cart.subtotal
    discounts = _discounts(program, held if member else None, codes, subtotal, _rule_discounts(rules, account, order))
    discount_total = ZERO
    for line in discounts:  # EXACT's methods: the arithmetic of ``with exact()``, without entering it
        discount_total = EXACT.add(discount_total, line.amount)
    payable = EXACT.subtract(subtotal, discount_total)
    eligible = EXACT.subtract(payable, _redeemed_value(program, account, order, payable))

    excluded = account.excluded_from(program) or not member
    milestones = () if excluded else _milestones_reached(rules, account, eligible)
    anniversary = None if excluded else _anniversary_due(account, order)
    breakdown = (
        []
        if excluded
        else _breakdown(program, rules, order, cart, held, eligible, milestones, anniversary, account.has_ordered)
    )

    # One validation builds the decision and its breakdown lines together: a model built per line
    # and then checked again as a field of the decision costs about twice as much.
    decision = Decision.model_validate(
        {
            "order_id": order.order_id,
            "customer_id": order.customer_id,
            "subtotal": round_money(subtotal),
            "discounts": discounts,
            "discount_total": discount_total,
            "points_redeemed": order.redeem_points,
            "eligible_amount": round_money(eligible),
            "points": sum([points for _, points in breakdown]),
            "breakdown": [{"rule": rule, "points": points} for rule, points in breakdown],
            "effects": _effects(rules, held, subtotal) if member else (),
            "rejected_codes": codes.rejected,
            "tier": _tier_change(program, rules, account, order, cart, held, eligible),
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


def _not_member_codes(codes: Iterable[str]) -> CodeCheck:
    """A non-member uses no code: each is rejected, so a commit carrying one is refused like any rejected code."""
    rejected = tuple(RejectedCode(code=text, reason="not_member") for text in codes)
    return CodeCheck(rejected=rejected) if rejected else NO_CODES


def _rule_discounts(rules: Rulebook, account: Account, order: Order) -> tuple[tuple[str, Decimal, str], ...]:
    """The program rules' discounts (source, percent, rule id): first order, then the single highest active event."""
    found: list[tuple[str, Decimal, str]] = []
    if not account.has_ordered:
        found.extend(("first_order", rule.percent, rule.id) for rule in rules.first_order_discounts)
    active = [rule for rule in rules.discount_events if rule.active_at(order.placed_at)]
    event = max(active, key=lambda rule: rule.percent, default=None)
    if event is not None:
        found.append(("event", event.percent, event.id))
    return tuple(found)


def _discounts(
    program: Program,
    held: TierLevel | None,
    codes: CodeCheck,
    subtotal: Decimal,
    by_rules: tuple[tuple[str, Decimal, str], ...] = (),
) -> tuple[DiscountLine, ...]:
    """One line per source (tier, codes in the order given, referral, first_order, event); the cap trims the last."""
    sources: list[tuple[str, Decimal, str | None]] = []
    if held is not None and held.discount_percent > 0:
        sources.append(("tier", held.discount_percent, None))
    sources.extend(("code", code.percent, code.code) for code in codes.discounts)
    if codes.referral is not None and program.referral is not None:
        sources.append(("referral", program.referral.referee_discount_percent, codes.referral.code))
    sources.extend(by_rules)
    if not sources:
        return ()

    room = program.max_discount_percent
    percents = []
    for _, percent, _ in sources:  # EXACT's own methods: a source or two does not repay copying a context
        granted = min(percent, room)
        percents.append(granted)
        room = EXACT.subtract(room, granted)
    shares = [EXACT.divide(EXACT.multiply(subtotal, percent), HUNDRED) for percent in percents]
    amounts = _within(round_parts(shares), subtotal)
    return tuple(
        DiscountLine(
            source=source,  # type: ignore[arg-type]
            percent=percent,
            amount=amount,
            code=label if source in ("code", "referral") else None,
            rule=label if source in ("first_order", "event") else None,
        )
        for (source, _, label), percent, amount in zip(sources, percents, amounts, strict=True)
    )


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


def _redeemed_value(program: Program, account: Account, order: Order, payable: Decimal) -> Decimal:
    if not order.redeem_points:
        return ZERO
    if order.redeem_points > account.balance:
        raise InsufficientPoints(order.redeem_points, account.balance)
    value = EXACT.multiply(order.redeem_points, program.point_value)
    if value > payable:
        raise RedemptionExceedsAmount(
            f"{order.redeem_points} points are worth {round_money(value)}, "
            f"more than the {round_money(payable)} left to pay after discounts"
        )
    return value


def _breakdown(
    program: Program,
    rules: Rulebook,
    order: Order,
    cart: OrderTotals,
    held: TierLevel | None,
    eligible: Decimal,
    milestones: tuple[str, ...],
    anniversary: int | None,
    account_has_ordered: bool = True,
) -> list[tuple[str, int]]:
    """The (rule, points) lines in SPEC section 9's order: base, category and product lines (program order),
    margin, tier, event, cart bonuses, tier_bonus, milestone, anniversary, welcome. Lines of 0 are left out."""
    points_per_unit = program.points_per_unit
    # EXACT's own methods for the three products below: entering ``with exact()`` copies the context, each time.
    lines = [("base", floor_points(EXACT.multiply(eligible, points_per_unit)))]
    for multiplied in rules.multipliers:
        lines.append((multiplied.rule_id, _multiplied_points(order, cart, points_per_unit, multiplied, eligible)))
    # Tier and event multiply the base, category and product lines only, never the margin.
    multiplied_total = sum([points for _, points in lines])
    if rules.margins:
        margin = _margin(order)
        for rule in rules.margins:
            lines.append((rule.id, _margin_points(cart, margin, rule.points_per_unit, eligible)))
    if held is not None:
        lines.append(("tier", _extra_points(multiplied_total, held.points_multiplier)))
    event = _strongest_event(rules, order)
    if event is not None:
        lines.append((event.id, _extra_points(multiplied_total, event.multiplier)))
    lines.extend([(bonus.rule_id, bonus.points) for bonus in rules.cart_bonuses if bonus.reached_by(cart)])
    if held is not None:
        lines.append(("tier_bonus", held.bonus_points_per_order))
    if milestones:
        lines.extend([(rule.id, rule.points) for rule in rules.milestones if rule.id in milestones])
    if anniversary is not None:
        lines.extend([(rule.id, rule.points) for rule in rules.anniversaries])
    if not account_has_ordered:
        lines.extend([(welcome.id, welcome.points) for welcome in rules.welcomes])
    return [(rule, points) for rule, points in lines if points > 0]


def _extra_points(points: int, multiplier: Decimal) -> int:
    """What a multiplier adds to ``points``: floor(points x (multiplier - 1))."""
    return floor_points(EXACT.multiply(points, EXACT.subtract(multiplier, 1)))


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


def _strongest_event(rules: Rulebook, order: Order) -> MultiplierEvent | None:
    """The active event with the highest multiplier, the first listed among equals."""
    strongest = None
    for rule in rules.events:
        if rule.active_at(order.placed_at) and (strongest is None or rule.multiplier > strongest.multiplier):
            strongest = rule
    return strongest


def _milestones_reached(rules: Rulebook, account: Account, eligible: Decimal) -> tuple[str, ...]:
    if not rules.milestones:
        return ()
    before = account.lifetime_spend
    after = EXACT.add(before, eligible)
    reached = account.milestones_reached
    return tuple(
        [rule.id for rule in rules.milestones if before < rule.lifetime_spend <= after and rule.id not in reached]
    )


def _anniversary_due(account: Account, order: Order) -> int | None:
    if account.first_order_at is None:
        return None
    return anniversary_due(account.first_order_at, account.anniversaries_rewarded, order.placed_at)


def _effects(rules: Rulebook, held: TierLevel | None, subtotal: Decimal) -> tuple[Effect, ...]:
    effects = [FREE_SHIPPING] if held is not None and held.free_shipping else []
    effects.extend(effect for rule, effect in rules.free_products if subtotal >= rule.min_amount)
    return tuple(effects)


def _tier_change(
    program: Program,
    rules: Rulebook,
    account: Account,
    order: Order,
    cart: OrderTotals,
    held: TierLevel | None,
    eligible: Decimal,
) -> TierChange | None:
    tiers = program.tiers
    if tiers is None or held is None:
        return None
    if tiers.basis == "quantity":
        added = Decimal(cart.items)
    elif tiers.basis == "orders":
        added = Decimal(1)  # this order, standing from its commit
    else:
        added = eligible
    volume = EXACT.add(window_volume(tiers, account.buckets, order.placed_at), added)
    after = higher(tiers, held, level_for(tiers, volume))
    return rules.tier_change(held.name, after.name)
