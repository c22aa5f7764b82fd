"""Program KPIs (SPEC section 8): pure formulas over what the stores counted. ``None`` when undefined (0 / 0)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict, Field, PlainSerializer

from loyalty.decision import Decision, Money, Output
from loyalty.money import HUNDRED, ZERO, exact, round_money
from loyalty.program import Program
from loyalty.report import DiscountTotal, RuleTotal, TierCount, discount_totals, rule_totals

PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def _ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    if denominator == 0:
        return None
    return Decimal(numerator) / Decimal(denominator)  # rounded to 28 digits: KPIs are reported, never summed back


def repeat_customer_rate(customers: int, repeat_customers: int) -> Decimal | None:
    """Percent of the customers who ordered in the period that ordered more than once."""
    rate = _ratio(repeat_customers, customers)
    return None if rate is None else rate * HUNDRED


def average_order_value(revenue: Decimal, orders: int) -> Decimal | None:
    return _ratio(revenue, orders)


def customer_lifetime_value(revenue: Decimal, customers: int) -> Decimal | None:
    """Historical CLV: revenue per customer (average order value x orders per customer)."""
    return _ratio(revenue, customers)


def net_promoter_score(scores: Iterable[int]) -> Decimal | None:
    """Promoters (9-10) minus detractors (0-6), in percent of all answers: -100 to 100."""
    answers = list(scores)
    if any(not 0 <= score <= 10 for score in answers):
        raise ValueError("NPS scores are 0 to 10")
    promoters = sum(1 for score in answers if score >= PROMOTER_MIN)
    detractors = sum(1 for score in answers if score <= DETRACTOR_MAX)
    share = _ratio(promoters - detractors, len(answers))
    return None if share is None else share * HUNDRED


def points_liability(outstanding_points: int, point_value: Decimal) -> Decimal:
    """What the points customers hold would cost if all were redeemed."""
    with exact():
        return max(outstanding_points, 0) * point_value


def referral_conversion_rate(issued: int, converted: int) -> Decimal | None:
    rate = _ratio(converted, issued)
    return None if rate is None else rate * HUNDRED


# ---------------------------------------------------------------------- the KPI report (SPEC section 8)

Ratio = Annotated[Decimal | None, PlainSerializer(lambda value: None if value is None else str(round_money(value)))]
"""A percentage or an average: a string with two decimals, ``null`` when it has no denominator."""


@dataclass(frozen=True)
class WindowOrder:
    """What the KPIs need of one order placed in the window."""

    customer_id: str
    standing: bool
    eligible_amount: Decimal
    decision: Decision
    referral_code: str | None


@dataclass(frozen=True)
class AccountHistory:
    """One active account's standing orders placed up to the window's end, and their eligible amounts."""

    standing_orders: int
    revenue: Decimal


def history_up_to(
    standing_orders: int, lifetime_spend: Decimal, later: Iterable[tuple[bool, Decimal]]
) -> AccountHistory:
    """An account's history up to a window's end: its totals of today less its standing orders placed after it.

    ``later``: for each order placed after the window, whether it stands and its eligible amount.
    """
    standing_later = [amount for stands, amount in later if stands]
    with exact():
        revenue = lifetime_spend - sum(standing_later, ZERO)
    return AccountHistory(standing_orders=standing_orders - len(standing_later), revenue=revenue)


@dataclass(frozen=True)
class KpiFacts:
    """Everything counted by the stores for one window; ``kpi_report`` turns it into the figures."""

    start: date
    end: date
    orders: Sequence[WindowOrder]
    histories: Mapping[str, AccountHistory]
    """For every account with a standing order in the window."""
    nps_scores: Sequence[int]
    ledger_points: Mapping[str, int]
    """Signed sums of the ledger entries dated in the window, by kind."""
    referral_codes_issued: int
    liability_points: int
    tier_accounts: Mapping[str, int]


class OrderFigures(Output):
    count: int
    revenue: Money
    average_order_value: Ratio
    cancelled: int


class CustomerFigures(Output):
    active: int
    new: int
    repeat: int
    repeat_customer_rate: Ratio
    lifetime_value: Ratio


class NpsFigures(Output):
    responses: int
    promoters: int
    passives: int
    detractors: int
    score: Ratio


class PointFigures(Output):
    earned: int
    redeemed: int
    expired: int
    reversed: int
    adjusted: int
    liability: int
    liability_value: Money


class ReferralFigures(Output):
    codes_issued: int
    converted: int
    conversion_rate: Ratio


class KpiReport(Output):
    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    start: date = Field(serialization_alias="from")
    to: date
    currency: str
    orders: OrderFigures
    customers: CustomerFigures
    nps: NpsFigures
    points: PointFigures
    discounts: tuple[DiscountTotal, ...]
    referrals: ReferralFigures
    rules: tuple[RuleTotal, ...]
    tiers: tuple[TierCount, ...]


def kpi_report(program: Program, facts: KpiFacts) -> KpiReport:
    standing = [order for order in facts.orders if order.standing]
    decisions = [order.decision for order in standing]
    with exact():
        revenue = sum((order.eligible_amount for order in standing), ZERO)
    return KpiReport(
        start=facts.start,
        to=facts.end,
        currency=program.currency,
        orders=OrderFigures(
            count=len(standing),
            revenue=revenue,
            average_order_value=average_order_value(revenue, len(standing)),
            cancelled=sum(1 for order in facts.orders if not order.standing),
        ),
        customers=_customer_figures(standing, facts.histories),
        nps=_nps_figures(facts.nps_scores),
        points=_point_figures(program, facts),
        discounts=discount_totals(decisions),
        referrals=_referral_figures(standing, facts.referral_codes_issued),
        rules=rule_totals(decisions, program.point_value),
        tiers=_tier_figures(program, facts.tier_accounts),
    )


def _customer_figures(standing: Sequence[WindowOrder], histories: Mapping[str, AccountHistory]) -> CustomerFigures:
    in_window = Counter(order.customer_id for order in standing)
    active = [histories[customer_id] for customer_id in in_window]
    new = sum(1 for customer_id, orders in in_window.items() if histories[customer_id].standing_orders - orders == 0)
    repeat = sum(1 for history in active if history.standing_orders >= 2)
    with exact():
        lifetime = sum((history.revenue for history in active), ZERO)
    return CustomerFigures(
        active=len(active),
        new=new,
        repeat=repeat,
        repeat_customer_rate=repeat_customer_rate(len(active), repeat),
        lifetime_value=customer_lifetime_value(lifetime, len(active)),
    )


def _nps_figures(scores: Sequence[int]) -> NpsFigures:
    promoters = sum(1 for score in scores if score >= PROMOTER_MIN)
    detractors = sum(1 for score in scores if score <= DETRACTOR_MAX)
    return NpsFigures(
        responses=len(scores),
        promoters=promoters,
        passives=len(scores) - promoters - detractors,
        detractors=detractors,
        score=net_promoter_score(scores),
    )


def _point_figures(program: Program, facts: KpiFacts) -> PointFigures:
    ledger = facts.ledger_points
    return PointFigures(
        earned=ledger.get("earn", 0),
        redeemed=-ledger.get("redeem", 0),
        expired=-ledger.get("expire", 0),
        reversed=-ledger.get("reverse", 0),
        adjusted=ledger.get("adjust", 0),
        liability=max(facts.liability_points, 0),
        liability_value=points_liability(facts.liability_points, program.point_value),
    )


def _referral_figures(standing: Sequence[WindowOrder], issued: int) -> ReferralFigures:
    converted = sum(1 for order in standing if order.referral_code is not None)
    return ReferralFigures(
        codes_issued=issued, converted=converted, conversion_rate=referral_conversion_rate(issued, converted)
    )


def _tier_figures(program: Program, accounts: Mapping[str, int]) -> tuple[TierCount, ...]:
    if program.tiers is None:
        return ()
    return tuple(TierCount(tier=level.name, accounts=accounts.get(level.name, 0)) for level in program.tiers.levels)
