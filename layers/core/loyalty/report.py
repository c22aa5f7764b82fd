"""Totals over decisions, shared by the KPIs and the backtest: what each rule, each discount, each tier amounts to.

Pure sums: the KPIs feed them the standing orders of a window, the backtest the decisions of
one side's replay. Both then show the same figures the same way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from loyalty.decision import Decision, Money, Output
from loyalty.money import ZERO, exact
from loyalty.program import Tiers

DISCOUNT_SOURCES = ("tier", "code", "referral", "first_order", "event")
"""The order in which discount sources are listed; a source not named here comes after them, by name."""


class RuleTotal(Output):
    rule: str
    points: int
    cost: Money
    orders: int


class DiscountTotal(Output):
    source: str
    amount: Money
    orders: int


class TierCount(Output):
    tier: str
    accounts: int


class RuleTally:
    """Per-rule sums fed one decision at a time, so that a long replay keeps no decisions."""

    def __init__(self) -> None:
        self._points: dict[str, int] = {}
        self._orders: dict[str, int] = {}

    def add(self, decision: Decision) -> None:
        points, orders = self._points, self._orders
        rules: set[str] = set()
        for line in decision.breakdown:
            rule = line.rule
            points[rule] = points.get(rule, 0) + line.points
            rules.add(rule)
        for rule in rules:
            orders[rule] = orders.get(rule, 0) + 1

    def totals(self, point_value: Decimal) -> tuple[RuleTotal, ...]:
        """Sorted by points, largest first, then by rule name so that equal rules always list alike."""
        with exact():
            totals = [
                RuleTotal(rule=rule, points=total, cost=total * point_value, orders=self._orders[rule])
                for rule, total in self._points.items()
            ]
        return tuple(sorted(totals, key=lambda item: (-item.points, item.rule)))


class DiscountTally:
    """Per-source discount sums fed one decision at a time."""

    def __init__(self) -> None:
        self._amounts: dict[str, Decimal] = {}
        self._orders: dict[str, int] = {}

    def add(self, decision: Decision) -> None:
        lines = decision.discounts
        if not lines:  # most orders: no decimal context to enter
            return
        with exact():
            for line in lines:
                self._amounts[line.source] = self._amounts.get(line.source, ZERO) + line.amount
        for source in {line.source for line in lines}:
            self._orders[source] = self._orders.get(source, 0) + 1

    def totals(self) -> tuple[DiscountTotal, ...]:
        """In ``DISCOUNT_SOURCES`` order."""
        listed = sorted(self._amounts, key=_source_rank)
        return tuple(
            DiscountTotal(source=source, amount=self._amounts[source], orders=self._orders[source]) for source in listed
        )


def rule_totals(decisions: Iterable[Decision], point_value: Decimal) -> tuple[RuleTotal, ...]:
    """Per breakdown rule: the points it produced, what they cost, how many orders it touched.

    Sorted by points, largest first, then by rule name so that equal rules always list alike.
    """
    tally = RuleTally()
    for decision in decisions:
        tally.add(decision)
    return tally.totals(point_value)


def discount_totals(decisions: Iterable[Decision]) -> tuple[DiscountTotal, ...]:
    """Per discount source: the amounts given and how many orders had one, in ``DISCOUNT_SOURCES`` order."""
    tally = DiscountTally()
    for decision in decisions:
        tally.add(decision)
    return tally.totals()


def tier_counts(tiers: Tiers | None, held: Iterable[str | None]) -> tuple[TierCount, ...]:
    """Accounts per level, every level in the program's order, zeros included; ``()`` without tiers.

    An account with no tier recorded (it has not ordered yet) holds the first level, as scoring
    treats it; a tier name the program no longer has is not counted under any level.
    """
    if tiers is None:
        return ()
    first = tiers.levels[0].name
    counted = Counter(first if name is None else name for name in held)
    return tuple(TierCount(tier=level.name, accounts=counted[level.name]) for level in tiers.levels)


def _source_rank(source: str) -> tuple[int, str]:
    known = source in DISCOUNT_SOURCES
    return (DISCOUNT_SOURCES.index(source) if known else len(DISCOUNT_SOURCES), source)
