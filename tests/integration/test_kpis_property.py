"""A property: the KPIs read through the report indexes equal a brute-force count over the raw history."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.money import round_money
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws

pytestmark = pytest.mark.integration

PROGRAM: dict[str, Any] = {
    "name": "KPI property",
    "currency": "EUR",
    "point_value": "0.01",
    "points_expire_after_days": 400,
    "tiers": {
        "basis": "quantity",
        "window_days": 365,
        "levels": [{"name": "Bronze", "threshold": 0}, {"name": "Silver", "threshold": 50}],
    },
    "rules": [{"id": "big", "kind": "cart_quantity_bonus", "min_items": 30, "points": 25}],
}
FIRST_DAY = date(2026, 11, 1)
WINDOW = (date(2026, 11, 4), date(2026, 11, 9))
CUSTOMERS = ("ACME", "GLOBEX", "INITECH")

commits = st.tuples(st.sampled_from(CUSTOMERS), st.integers(0, 12), st.integers(1, 40), st.integers(1, 5000))
answers = st.tuples(st.sampled_from(CUSTOMERS), st.integers(0, 12), st.integers(0, 10))


@dataclass
class History:
    orders: list[dict[str, Any]] = field(default_factory=list)
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    returned: dict[str, int] = field(default_factory=dict)
    """Quantity returned per order (its one line)."""
    scores: dict[tuple[str, date], int] = field(default_factory=dict)
    """One answer per account and moment: the same answer sent again is the same answer."""


def placed_day(body: dict[str, Any]) -> date:
    return date.fromisoformat(body["placed_at"][:10])


def kept(history: History, body: dict[str, Any]) -> Fraction:
    """What stays of an order after its returns: (ordered - returned) / ordered (its one line)."""
    ordered = body["lines"][0]["quantity"]
    return Fraction(ordered - history.returned.get(body["order_id"], 0), ordered)


def eligible(history: History, body: dict[str, Any]) -> Decimal:
    """The eligible amount left after the returns, kept to 4 decimals."""
    share = kept(history, body)
    amount = Decimal(history.decisions[body["order_id"]]["eligible_amount"])
    return (amount * share.numerator / share.denominator).quantize(Decimal("0.0001"))


def brute_force(history: History, start: date, end: date) -> dict[str, Any]:
    """Every figure straight from what was sent and answered, without any index or counter."""
    standing = [body for body in history.orders if body["order_id"] not in history.cancelled]
    window = [body for body in standing if start <= placed_day(body) <= end]
    revenue = sum((eligible(history, body) for body in window), Decimal(0))
    active = {body["customer_id"] for body in window}
    up_to_end = Counter(body["customer_id"] for body in standing if placed_day(body) <= end)
    before = Counter(body["customer_id"] for body in standing if placed_day(body) < start)
    lifetime = sum(
        (eligible(history, body) for body in standing if body["customer_id"] in active and placed_day(body) <= end),
        Decimal(0),
    )
    placed_in_window = [body for body in history.orders if start <= placed_day(body) <= end]
    earned = sum(history.decisions[body["order_id"]]["points"] for body in placed_in_window)
    reversed_ = sum(
        line["points"] - (0 if body["order_id"] in history.cancelled else floor(line["points"] * kept(history, body)))
        for body in placed_in_window
        for line in history.decisions[body["order_id"]]["breakdown"]
    )
    rules: Counter[str] = Counter()
    for body in window:
        for line in history.decisions[body["order_id"]]["breakdown"]:
            rules[line["rule"]] += floor(line["points"] * kept(history, body))
    scores = [score for (_, day), score in history.scores.items() if start <= day <= end]
    return {
        "count": len(window),
        "revenue": str(round_money(revenue)),
        "cancelled": sum(1 for body in placed_in_window if body["order_id"] in history.cancelled),
        "active": len(active),
        "new": sum(1 for customer in active if before[customer] == 0),
        "repeat": sum(1 for customer in active if up_to_end[customer] >= 2),
        "lifetime_value": str(round_money(lifetime / len(active))) if active else None,
        "earned": earned,
        "reversed": reversed_,
        "rules": dict(rules),
        "responses": len(scores),
    }


def read(api: Api, start: date, end: date) -> dict[str, Any]:
    body = api.kpis(**{"from": start.isoformat(), "to": end.isoformat()}).body
    return {
        "count": body["orders"]["count"],
        "revenue": body["orders"]["revenue"],
        "cancelled": body["orders"]["cancelled"],
        "active": body["customers"]["active"],
        "new": body["customers"]["new"],
        "repeat": body["customers"]["repeat"],
        "lifetime_value": body["customers"]["lifetime_value"],
        "earned": body["points"]["earned"],
        "reversed": body["points"]["reversed"],
        "rules": {rule["rule"]: rule["points"] for rule in body["rules"]},
        "responses": body["nps"]["responses"],
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    placed=st.lists(commits, min_size=1, max_size=10),
    cancels=st.lists(st.integers(0, 9), max_size=4),
    replays=st.lists(st.integers(0, 9), max_size=3),
    returns=st.lists(st.tuples(st.integers(0, 9), st.integers(1, 40)), max_size=4),
    nps=st.lists(answers, max_size=5),
)
def test_kpis_equal_a_brute_force_count_of_the_raw_history(
    placed: list[tuple[str, int, int, int]],
    cancels: list[int],
    replays: list[int],
    returns: list[tuple[int, int]],
    nps: list[tuple[str, int, int]],
) -> None:
    with embedded_aws("ReportsFunction"):
        activate(PROGRAM)
        api = Api()
        history = History()
        # GIVEN a random history of commits (some replayed), returns of part of an order, cancels and survey answers
        for number, (customer, day, quantity, cents) in enumerate(placed):
            body = order(
                order_id=f"P{number}",
                customer_id=customer,
                placed_at=f"{FIRST_DAY + timedelta(days=day)}T{number % 24:02d}:00:00Z",
                lines=[{"sku": "SKU", "quantity": quantity, "unit_price": f"{cents / 100:.2f}"}],
            )
            response = api.commit(body)
            assert response.status == 201
            history.orders.append(body)
            history.decisions[body["order_id"]] = response.body
        for index in replays:
            if index < len(history.orders):
                assert api.commit(history.orders[index]).status == 200
        for number, (index, quantity) in enumerate(returns):
            if index < len(history.orders):
                body = history.orders[index]
                left = body["lines"][0]["quantity"] - history.returned.get(body["order_id"], 0)
                lines = [{"sku": "SKU", "quantity": quantity}]
                response = api.return_lines(body["order_id"], return_id=f"R{number}", lines=lines)
                assert response.status == (201 if quantity <= left else 409)
                if quantity <= left:
                    history.returned[body["order_id"]] = history.returned.get(body["order_id"], 0) + quantity
                    if quantity == left:
                        history.cancelled.add(body["order_id"])
        for index in cancels:
            if index < len(history.orders):
                assert api.cancel(history.orders[index]["order_id"]).status == 200
                history.cancelled.add(history.orders[index]["order_id"])
        for customer, day, score in nps:
            answered = FIRST_DAY + timedelta(days=day)
            if api.nps(customer, score=score, answered_at=f"{answered}T12:00:00Z").status in (200, 201):
                history.scores[customer, answered] = score
        # WHEN the KPIs of the window are read; THEN they are the brute-force figures
        assert read(api, *WINDOW) == brute_force(history, *WINDOW)
