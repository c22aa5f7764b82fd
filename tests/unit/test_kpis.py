"""KPI formulas with the figures of the program's source material."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loyalty import kpis


def test_500_repeat_customers_out_of_5000_is_a_10_percent_repeat_customer_rate() -> None:
    assert kpis.repeat_customer_rate(customers=5000, repeat_customers=500) == 10


def test_70_promoters_10_passives_and_20_detractors_is_an_nps_of_50() -> None:
    scores = [9] * 35 + [10] * 35 + [7] * 5 + [8] * 5 + [0] * 10 + [6] * 10

    assert kpis.net_promoter_score(scores) == 50


def test_nps_ranges_from_minus_100_to_100() -> None:
    assert kpis.net_promoter_score([0, 6]) == -100
    assert kpis.net_promoter_score([9, 10]) == 100


def test_an_nps_score_outside_0_to_10_is_refused() -> None:
    with pytest.raises(ValueError, match="0 to 10"):
        kpis.net_promoter_score([11])


def test_average_order_value_and_lifetime_value() -> None:
    assert kpis.average_order_value(Decimal("1000.00"), orders=8) == Decimal("125")
    assert kpis.customer_lifetime_value(Decimal("1000.00"), customers=4) == Decimal("250")


def test_undefined_ratios_are_none_not_zero() -> None:
    assert kpis.repeat_customer_rate(customers=0, repeat_customers=0) is None
    assert kpis.average_order_value(Decimal(0), orders=0) is None
    assert kpis.net_promoter_score([]) is None


def test_points_liability_is_outstanding_points_at_their_value() -> None:
    assert kpis.points_liability(212_500, Decimal("0.01")) == Decimal("2125.00")
    assert kpis.points_liability(-50, Decimal("0.01")) == 0


def test_an_accounts_history_at_a_windows_end_leaves_out_what_it_ordered_after() -> None:
    # GIVEN an account with 5 standing orders worth 1,000.00 today, of which 2 (300.00) were placed after the window
    later = [(True, Decimal("100.00")), (True, Decimal("200.00")), (False, Decimal("999.00"))]

    history = kpis.history_up_to(5, Decimal("1000.00"), later)

    # THEN up to the window's end it had 3 standing orders worth 700.00 (the cancelled one never counted)
    assert (history.standing_orders, history.revenue) == (3, Decimal("700.00"))
