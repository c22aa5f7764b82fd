"""Program KPIs as pure formulas over figures an adapter has counted. ``None`` when undefined (0 / 0)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from loyalty.money import HUNDRED, exact

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
