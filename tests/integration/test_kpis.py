"""GET /admin/kpis against DynamoDB (moto): every figure of a small, hand-computed history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws

pytestmark = pytest.mark.integration

PROGRAM: dict[str, Any] = {
    "name": "KPI test",
    "currency": "EUR",
    "points_per_unit": "1",
    "point_value": "0.01",
    "tiers": {
        "basis": "quantity",
        "window_days": 365,
        "levels": [{"name": "Bronze", "threshold": 0}, {"name": "Silver", "threshold": 100, "discount_percent": "10"}],
    },
    "rules": [{"id": "big", "kind": "cart_amount_bonus", "min_amount": "1000", "points": 50}],
    "referral": {"referee_discount_percent": "0"},
}
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def line(quantity: int, unit_price: str) -> list[dict[str, Any]]:
    return [{"sku": "BOLT-M8", "quantity": quantity, "unit_price": unit_price}]


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("ReportsFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(PROGRAM)
    return Api()


@pytest.fixture
def november(api: Api) -> Api:
    """ACME: one order in October, two in November (the first replayed twice, the second at Silver's 10 %);
    GLOBEX: one November order, cancelled; INITECH: a first order in November and one in December;
    NPS: three answers in November, one in October."""
    orders = [
        order(order_id="O1", customer_id="ACME", placed_at="2026-10-15T09:00:00Z", lines=line(10, "10.00")),
        order(order_id="O2", customer_id="ACME", placed_at="2026-11-05T09:00:00Z", lines=line(100, "12.00")),
        order(order_id="O3", customer_id="ACME", placed_at="2026-11-20T09:00:00Z", lines=line(10, "10.00")),
        order(order_id="O4", customer_id="GLOBEX", placed_at="2026-11-10T09:00:00Z", lines=line(5, "20.00")),
        order(order_id="O5", customer_id="INITECH", placed_at="2026-11-12T09:00:00Z", lines=line(20, "25.00")),
        order(order_id="O6", customer_id="INITECH", placed_at="2026-12-02T09:00:00Z", lines=line(1, "50.00")),
    ]
    for body in orders:
        assert api.commit(body).status == 201
    assert api.commit(orders[1]).status == 200  # a replayed commit counts once
    assert api.commit(orders[1]).status == 200
    assert api.cancel("O4").status == 200
    for customer_id, score, answered_at in [
        ("ACME", 10, "2026-11-06T12:00:00Z"),
        ("GLOBEX", 3, "2026-11-11T12:00:00Z"),
        ("INITECH", 8, "2026-11-13T12:00:00Z"),
        ("ACME", 9, "2026-10-30T12:00:00Z"),
    ]:
        assert api.nps(customer_id, score=score, answered_at=answered_at).status in (200, 201)
    return api


def test_orders_count_standing_orders_once_with_their_revenue_and_the_cancelled_apart(november: Api) -> None:
    response = november.kpis(**NOVEMBER)

    assert response.status == 200
    assert response.body["from"] == "2026-11-01"
    assert response.body["to"] == "2026-11-30"
    assert response.body["currency"] == "EUR"
    # O2 1200.00 + O3 90.00 (100.00 less Silver's 10 %) + O5 500.00; O4 cancelled
    assert response.body["orders"] == {
        "count": 3,
        "revenue": "1790.00",
        "average_order_value": "596.67",
        "cancelled": 1,
    }


def test_customers_are_active_new_and_repeat_as_defined_up_to_the_windows_end(november: Api) -> None:
    response = november.kpis(**NOVEMBER)

    # ACME: active, not new (October), repeat (3 orders); INITECH: active, new, not repeat (December's is later)
    # lifetime value: (ACME 100 + 1200 + 90 = 1390 + INITECH 500) / 2
    assert response.body["customers"] == {
        "active": 2,
        "new": 1,
        "repeat": 1,
        "repeat_customer_rate": "50.00",
        "lifetime_value": "945.00",
    }


def test_nps_counts_the_answers_recorded_in_the_window(november: Api) -> None:
    response = november.kpis(**NOVEMBER)

    assert response.body["nps"] == {"responses": 3, "promoters": 1, "passives": 1, "detractors": 1, "score": "0.00"}


def test_points_are_ledger_sums_by_kind_and_the_liability_is_every_positive_balance_now(november: Api) -> None:
    response = november.kpis(**NOVEMBER)

    # earned: O2 1250 (base 1200 + big 50), O3 90, O4 100, O5 500; reversed: O4's 100 (dated at the order)
    # liability: ACME 100 + 1250 + 90, INITECH 500 + 50, GLOBEX 0
    assert response.body["points"] == {
        "earned": 1940,
        "redeemed": 0,
        "expired": 0,
        "reversed": 100,
        "adjusted": 0,
        "liability": 1990,
        "liability_value": "19.90",
    }


def test_rules_attribute_points_cost_and_orders_and_discounts_are_given_per_source(november: Api) -> None:
    response = november.kpis(**NOVEMBER)

    assert response.body["rules"] == [
        {"rule": "base", "points": 1790, "cost": "17.90", "orders": 3},
        {"rule": "big", "points": 50, "cost": "0.50", "orders": 1},
    ]
    assert response.body["discounts"] == [{"source": "tier", "amount": "10.00", "orders": 1}]
    assert response.body["referrals"] == {"codes_issued": 0, "converted": 0, "conversion_rate": None}


def test_tiers_count_every_account_now_in_the_programs_order(november: Api) -> None:
    response = november.kpis(**NOVEMBER)

    assert response.body["tiers"] == [{"tier": "Bronze", "accounts": 2}, {"tier": "Silver", "accounts": 1}]


def test_referral_codes_created_in_the_window_and_first_orders_that_used_one_are_counted(api: Api) -> None:
    # GIVEN a referral code created today, used by a first order placed in November
    code = api.referral_code("ACME").body["code"]
    assert (
        api.commit(order(order_id="R1", customer_id="NEWCO", placed_at="2026-11-03T09:00:00Z", codes=[code])).status
        == 201
    )
    today = datetime.now(UTC).date().isoformat()

    # WHEN the KPIs of November and of today are read
    november = api.kpis(**NOVEMBER).body["referrals"]
    created_today = api.kpis(**{"from": today, "to": today}).body["referrals"]

    # THEN each window counts what happened in it
    assert november == {"codes_issued": 0, "converted": 1, "conversion_rate": None}
    assert created_today == {"codes_issued": 1, "converted": 0, "conversion_rate": "0.00"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-12-01", "to": "2026-11-01"}, "from"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "to"),
        ({"from": "yesterday", "to": "2026-11-30"}, "from"),
    ],
)
def test_a_window_that_is_not_valid_is_a_422_on_its_field(api: Api, query: dict[str, str], field: str) -> None:
    response = api.kpis(**query)

    assert response.status == 422
    assert [detail["field"] for detail in response.body["error"]["details"]] == [field]


def test_without_dates_the_window_is_the_last_30_full_days(api: Api) -> None:
    response = api.kpis()

    assert response.status == 200
    assert response.body["orders"]["count"] == 0
    assert response.body["orders"]["average_order_value"] is None
