"""Backtest: the same standing orders replayed under two programs, and the totals both share with the KPIs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, cast

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.account import Account
from loyalty.backtest import SideReplay, backtest, difference_bins, warmup_start
from loyalty.commit import commit_order
from loyalty.decision import BreakdownLine, Decision, DiscountLine
from loyalty.order import Order
from loyalty.program import Program
from loyalty.report import DiscountTotal, RuleTotal, TierCount, discount_totals, rule_totals, tier_counts
from loyalty.tiers import prune, review
from loyalty_service.ports import AccountRecord
from loyalty_service.tiers_job import TiersJob
from tests.fakes import InMemoryTierReviewStore, program_source
from tests.unit.builders import at, make_order, make_program
from tests.unit.strategies import EPOCH, choose, moments, order_payloads, programs

START = date(2026, 6, 1)
END = date(2026, 7, 31)
MARGIN_RULE = {"id": "margin", "kind": "margin_points", "points_per_unit": "2"}


def order(order_id: str, placed_at: str, quantity: int = 1, price: str = "100", customer: str = "ACME") -> Order:
    return make_order(
        order_id=order_id,
        customer_id=customer,
        placed_at=placed_at,
        lines=[{"sku": "BOLT-M8", "quantity": quantity, "unit_price": price}],
    )


def rule_points(rules: tuple[RuleTotal, ...], rule: str) -> int:
    return next((total.points for total in rules if total.rule == rule), 0)


# --- the replay -------------------------------------------------------------------------------


def test_a_candidate_identical_to_the_baseline_gives_a_zero_difference(program: Program) -> None:
    # GIVEN orders of three accounts, one reaching Silver during the window
    orders = [
        order("SO-1", "2026-05-20T09:00:00Z", quantity=900, price="1", customer="ACME"),
        order("SO-2", "2026-06-03T09:00:00Z", quantity=200, price="2.5", customer="ACME"),
        order("SO-3", "2026-06-10T12:00:00Z", quantity=3, price="199.99", customer="BETA"),
        order("SO-4", "2026-07-02T08:30:00Z", quantity=40, price="12.75", customer="ACME"),
        order("SO-5", "2026-07-30T23:59:00Z", quantity=1, price="5000", customer="GAMMA"),
    ]

    # WHEN the program is backtested against itself
    result = backtest(program, program, orders, start=START, end=END, baseline_version=3)

    # THEN nothing differs but the version
    difference = result.difference
    assert (difference.points, difference.cost, difference.discount_total) == (0, 0, 0)
    assert (difference.accounts_changing_tier, difference.accounts) == (0, ())
    assert result.baseline.model_copy(update={"program_version": None}) == result.candidate
    assert (result.baseline.program_version, result.candidate.program_version) == (3, None)
    assert result.baseline.orders == 4


def test_doubling_points_per_unit_doubles_the_base_points(program: Program) -> None:
    # GIVEN whole-euro orders and a candidate that earns two points per euro
    orders = [order(f"SO-{day}", f"2026-06-{day:02d}T10:00:00Z", quantity=day, price="20") for day in range(1, 11)]
    candidate = make_program(points_per_unit="2")

    # WHEN both replay them
    result = backtest(program, candidate, orders, start=START, end=END, baseline_version=1)

    # THEN base points double, and the 20 largest per-account differences name the account
    baseline_base = rule_points(result.baseline.rules, "base")
    assert baseline_base == 20 * sum(range(1, 11))
    assert rule_points(result.candidate.rules, "base") == 2 * baseline_base
    assert result.difference.points == baseline_base
    assert result.difference.cost == Decimal("11.00")
    assert [(item.customer_id, item.points_baseline, item.points_candidate) for item in result.difference.accounts] == [
        ("ACME", 1100, 2200)
    ]
    assert [(span.low, span.high, span.accounts) for span in result.difference.distribution] == [(1100, 1100, 1)]


def test_a_margin_rule_is_backtested_from_the_costs_the_orders_kept(program: Program) -> None:
    # GIVEN orders whose lines kept their unit cost: 100 sold at 100, bought at 70 (margin 30 each)
    orders = [
        make_order(
            order_id=f"SO-{day}",
            placed_at=f"2026-06-{day:02d}T10:00:00Z",
            lines=[{"sku": "PUMP-7", "quantity": 1, "unit_price": "100", "unit_cost": "70"}],
        )
        for day in (1, 2, 3)
    ]
    candidate = make_program(rules=[*program.model_dump(mode="json")["rules"], MARGIN_RULE])

    # WHEN a candidate with 2 points per unit of margin replays them
    result = backtest(program, candidate, orders, start=START, end=END, baseline_version=1)

    # THEN each order earns floor(30 x 2) = 60 more, on the margin rule alone
    assert rule_points(result.baseline.rules, "margin") == 0
    assert rule_points(result.candidate.rules, "margin") == 180
    assert result.difference.points == 180


def test_warm_up_orders_build_tier_volume_but_are_not_counted(program: Program) -> None:
    # GIVEN 1,200 items three months before the window (Silver), and an order older than the tier window
    orders = [
        order("SO-old", "2025-05-01T10:00:00Z", quantity=5000, price="1", customer="OLDCO"),
        order("SO-warm", "2026-03-01T10:00:00Z", quantity=1200, price="1"),
        order("SO-1", "2026-06-10T10:00:00Z", quantity=10, price="100"),
    ]

    # WHEN the window from 1 June is backtested
    result = backtest(program, program, orders, start=START, end=END, baseline_version=1)

    # THEN only the window's order counts, with Silver's 5% discount and its 1.25 multiplier
    side = result.baseline
    assert (side.orders, side.revenue, side.discount_total) == (1, Decimal("950"), Decimal("50"))
    assert side.discounts == (DiscountTotal(source="tier", amount=Decimal("50"), orders=1),)
    assert side.points == 950 + 237
    assert side.codes_issued == 1
    # the order older than the window was not replayed at all
    assert side.tiers == (
        TierCount(tier="Bronze", accounts=0),
        TierCount(tier="Silver", accounts=1),
        TierCount(tier="Gold", accounts=0),
    )


def test_the_warm_up_starts_one_tier_window_before_the_window_the_longer_of_both(program: Program) -> None:
    shorter = make_program(tiers={**cast(dict[str, Any], program.model_dump()["tiers"]), "window_days": 30})

    assert warmup_start(program, shorter, START) == START - timedelta(days=365)
    assert warmup_start(shorter, shorter, START) == START - timedelta(days=30)
    assert warmup_start(make_program(tiers=None), make_program(tiers=None), START) == START


def test_the_nightly_review_downgrades_inside_the_window_at_two_as_the_tier_job_does(program: Program) -> None:
    # GIVEN Silver from 1,200 items on 1 July 2025: they leave the 365-day window on 1 July 2026
    warm = order("SO-warm", "2025-07-01T10:00:00Z", quantity=1200, price="1")
    before_review = order("SO-1", "2026-07-01T01:00:00Z")
    after_review = order("SO-2", "2026-07-01T03:00:00Z")

    # WHEN the backtest replays them
    result = backtest(program, program, [after_review, warm, before_review], start=START, end=END, baseline_version=1)

    # THEN the order at 01:00 still had Silver's discount, the one at 03:00 no longer
    assert result.baseline.discounts == (DiscountTotal(source="tier", amount=Decimal("5"), orders=1),)
    # AND the account ends where the tier job, run at 02:00 on the same state, puts it
    account = Account(customer_id="ACME")
    for placed in (warm, before_review):
        account = commit_order(program, account, placed, {}, mint=lambda _kind: "CODE").account
    moment = at("2026-07-01T02:00:00Z")
    store = InMemoryTierReviewStore(AccountRecord(account=account, version=1, tier_review_on=moment.date()))
    TiersJob(store, program_source(program, since=moment)).process("ACME", moment)
    assert program.tiers is not None
    expected = review(program.tiers, account.tier, account.buckets, moment).after
    assert (account.tier, store.accounts["ACME"].account.tier, expected) == ("Silver", "Bronze", "Bronze")
    assert result.baseline.tiers[0] == TierCount(tier="Bronze", accounts=1)


def test_a_shorter_candidate_window_downgrades_earlier_and_counts_the_changed_tier(program: Program) -> None:
    # GIVEN Silver from 1,200 items in March, and a candidate whose window is 30 days
    orders = [order("SO-warm", "2026-03-01T10:00:00Z", quantity=1200, price="1"), order("SO-1", "2026-06-10T10:00:00Z")]
    candidate = make_program(tiers={**cast(dict[str, Any], program.model_dump()["tiers"]), "window_days": 30})

    # WHEN both replay them
    result = backtest(program, candidate, orders, start=START, end=END, baseline_version=1)

    # THEN the candidate never saw the March order (outside its own warm-up) and holds Bronze
    assert result.baseline.discount_total == Decimal("5")
    assert result.candidate.discount_total == 0
    assert result.difference.accounts_changing_tier == 1
    assert result.difference.discount_total == Decimal("-5")


def test_lots_expire_inside_the_window() -> None:
    # GIVEN points that expire 30 days after the order, earned in June and mid-July
    program = make_program(tiers=None, rules=[], points_expire_after_days=30, next_purchase_discount=None)
    replay = SideReplay(program)

    # WHEN one side replays them to the end of July
    replay.run([order("SO-1", "2026-06-01T10:00:00Z"), order("SO-2", "2026-07-15T10:00:00Z")], START, END, None)

    # THEN June's lot expired on 1 July, July's lot (ending 14 August) still holds its points
    assert replay.points == 200
    assert [(lot.lot_id, lot.remaining) for lot in replay.accounts["ACME"].wallet.lots] == [("SO-2", 100)]
    assert replay.accounts["ACME"].balance == 100


def test_a_lot_that_ends_inside_the_window_is_gone_before_the_next_order() -> None:
    # GIVEN 100 points that end on 1 July, and an order on 15 July that redeems nothing
    program = make_program(tiers=None, rules=[], points_expire_after_days=30, next_purchase_discount=None)
    replay = SideReplay(program)
    replay.run([order("SO-1", "2026-06-01T10:00:00Z")], START, date(2026, 7, 10), None)
    expired = replay.accounts["ACME"]

    # WHEN the account orders again, committed as the live service commits it
    later = commit_order(program, expired, order("SO-2", "2026-07-15T10:00:00Z"), {}, mint=lambda _kind: "CODE")

    # THEN the order's balance holds only its own points
    assert expired.balance == 0
    assert later.decision.balance == 100


def test_codes_and_redemptions_of_the_originals_are_left_out(program: Program) -> None:
    # GIVEN an order that redeemed points and carried a code the replay does not know
    original = make_order(redeem_points=500, codes=["NP-GONE"], placed_at="2026-06-05T10:00:00Z")

    # WHEN it is backtested
    result = backtest(program, program, [original], start=START, end=END, baseline_version=1)

    # THEN it is scored as if it had neither
    assert (result.baseline.orders, result.baseline.points, result.baseline.revenue) == (1, 100, Decimal("100"))


def test_the_progress_callback_hears_every_order_once_per_side(program: Program) -> None:
    heard: list[None] = []
    orders = [order("SO-1", "2026-06-05T10:00:00Z"), order("SO-old", "2020-01-01T10:00:00Z")]

    backtest(program, program, orders, start=START, end=END, baseline_version=1, on_order=lambda: heard.append(None))

    assert len(heard) == 4


def test_the_result_serialises_its_window_as_from_and_to(program: Program) -> None:
    result = backtest(program, program, [], start=START, end=END, baseline_version=1)

    body = result.model_dump(mode="json")

    assert (body["from"], body["to"]) == ("2026-06-01", "2026-07-31")
    assert body["baseline"]["revenue"] == "0.00"
    assert body["baseline"]["tiers"][0] == {"tier": "Bronze", "accounts": 0}


@st.composite
def replays(draw: st.DrawFn) -> tuple[Program, list[Order]]:
    program = draw(programs(EPOCH + timedelta(days=60)))
    placed = draw(st.lists(moments(EPOCH, 150), min_size=1, max_size=12))
    orders = []
    for index, moment in enumerate(placed):
        payload = draw(order_payloads(moment))
        payload |= {"order_id": f"SO-{index}", "customer_id": draw(choose(("A", "B", "C")))}
        orders.append(Order.parse(payload))
    return program, orders


@settings(max_examples=40, deadline=None)
@given(case=replays())
def test_any_program_backtested_against_itself_differs_in_nothing(case: tuple[Program, list[Order]]) -> None:
    program, orders = case

    result = backtest(
        program, program, orders, start=EPOCH.date() + timedelta(days=40), end=EPOCH.date() + timedelta(days=150),
        baseline_version=1,
    )  # fmt: skip

    assert (result.difference.points, result.difference.cost, result.difference.discount_total) == (0, 0, 0)
    assert (result.difference.accounts_changing_tier, result.difference.accounts) == (0, ())
    assert result.baseline.model_copy(update={"program_version": None}) == result.candidate


PRICES = ("0.5", "3", "40")


class _EagerReviews(SideReplay):
    """The order service's bookkeeping to the letter: the review day worked out after every order."""

    def _review_after_order(self, before: Account, after: Account, placed_at: datetime) -> None:
        self._schedule_review(after, placed_at)


@st.composite
def tier_histories(draw: st.DrawFn) -> tuple[Program, list[Order]]:
    """A tiered program and bulky orders of two accounts over months: tiers rise, hold and fall."""
    program = draw(programs(EPOCH, tiered=True))
    placed = sorted(draw(st.lists(moments(EPOCH, 240), min_size=1, max_size=25)))
    orders = [
        make_order(
            order_id=f"SO-{index}",
            customer_id=draw(choose(("A", "B"))),
            placed_at=moment.isoformat(),
            lines=[{"sku": "S", "quantity": draw(st.integers(1, 3000)), "unit_price": draw(choose(PRICES))}],
        )
        for index, moment in enumerate(placed)
    ]
    return program, orders


@settings(max_examples=60, deadline=None)
@given(case=tier_histories())
def test_review_days_worked_out_when_they_come_end_where_the_order_services_bookkeeping_ends(
    case: tuple[Program, list[Order]],
) -> None:
    program, orders = case
    start, end = EPOCH.date() + timedelta(days=30), EPOCH.date() + timedelta(days=260)
    lazy, eager = SideReplay(program), _EagerReviews(program)

    for replay in (lazy, eager):
        replay.run(orders, start, end, None)

    assert lazy.accounts == eager.accounts
    assert lazy.result(1) == eager.result(1)


@settings(max_examples=60, deadline=None)
@given(case=tier_histories(), expire_after=st.integers(1, 90))
def test_dropping_emptied_lots_and_buckets_past_the_window_changes_no_result(
    case: tuple[Program, list[Order]], expire_after: int
) -> None:
    # GIVEN a tier history whose points expire within months, replayed compacted and with every lot and bucket kept
    program, orders = case
    program = program.model_copy(update={"points_expire_after_days": expire_after})
    start, end = EPOCH.date() + timedelta(days=30), EPOCH.date() + timedelta(days=260)
    compacted, kept = SideReplay(program), SideReplay(program, compact=False)

    # WHEN both replay the orders
    for replay in (compacted, kept):
        replay.run(orders, start, end, None)

    # THEN the results are the same, and each account differs only by buckets past the window
    assert compacted.result(1) == kept.result(1)
    assert compacted.points_by_account == kept.points_by_account
    assert program.tiers is not None
    last = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC) - timedelta(microseconds=1)
    for customer_id, full in kept.accounts.items():
        account = compacted.accounts[customer_id]
        assert account.model_copy(update={"buckets": full.buckets}) == full
        assert all(lot.remaining for lot in account.wallet.lots), "a wallet keeps no emptied lot"
        window = program.tiers.window_days
        assert prune(account.buckets, last, window) == prune(full.buckets, last, window)
        assert set(account.buckets) <= set(full.buckets)


# --- totals shared with the KPIs ------------------------------------------------------------------


def decision(breakdown: dict[str, int], discounts: tuple[tuple[str, str], ...] = ()) -> Decision:
    lines = tuple(
        DiscountLine(source=source, percent=Decimal(5), amount=Decimal(amount))  # type: ignore[arg-type]
        for source, amount in discounts
    )
    return Decision(
        order_id="SO-1",
        customer_id="ACME",
        subtotal=Decimal(100),
        discounts=lines,
        discount_total=sum((line.amount for line in lines), Decimal(0)),
        points_redeemed=0,
        eligible_amount=Decimal(100),
        points=sum(breakdown.values()),
        breakdown=tuple(BreakdownLine(rule=rule, points=points) for rule, points in breakdown.items()),
        effects=(),
        rejected_codes=(),
        tier=None,
    )


def test_rule_totals_sum_points_cost_and_orders_largest_first_then_by_name() -> None:
    # GIVEN three decisions
    decisions = [
        decision({"base": 100, "tier": 25}),
        decision({"base": 300, "big-cart": 5000}),
        decision({"base": 40, "anniversary": 25}),
    ]

    # WHEN their rules are totalled at 0.01 a point
    totals = rule_totals(decisions, Decimal("0.01"))

    # THEN each rule has its points, their cost and the orders it touched; ties list by name
    assert totals == (
        RuleTotal(rule="big-cart", points=5000, cost=Decimal("50.00"), orders=1),
        RuleTotal(rule="base", points=440, cost=Decimal("4.40"), orders=3),
        RuleTotal(rule="anniversary", points=25, cost=Decimal("0.25"), orders=1),
        RuleTotal(rule="tier", points=25, cost=Decimal("0.25"), orders=1),
    )


def test_discount_totals_sum_per_source_in_the_sources_order() -> None:
    # GIVEN a tier and a code discount, a referral and a tier discount, and an order without any
    decisions = [
        decision({"base": 1}, (("tier", "5.00"), ("code", "2.50"))),
        decision({"base": 1}, (("referral", "10.00"), ("tier", "3.00"))),
        decision({"base": 1}),
    ]

    # WHEN they are totalled
    totals = discount_totals(decisions)

    # THEN the sources come tier, code, referral whatever their amounts
    assert totals == (
        DiscountTotal(source="tier", amount=Decimal("8.00"), orders=2),
        DiscountTotal(source="code", amount=Decimal("2.50"), orders=1),
        DiscountTotal(source="referral", amount=Decimal("10.00"), orders=1),
    )


def test_tier_counts_list_every_level_in_program_order_zeros_included(program: Program) -> None:
    # GIVEN accounts in Silver and Gold, one that has not ordered, one in a level the program dropped
    held = ["Silver", None, "Gold", "Silver", "Platinum"]

    # WHEN they are counted
    counts = tier_counts(program.tiers, held)

    # THEN the account without a tier holds the first level, the dropped level is not listed
    assert counts == (
        TierCount(tier="Bronze", accounts=1),
        TierCount(tier="Silver", accounts=2),
        TierCount(tier="Gold", accounts=1),
    )


def test_tier_counts_are_empty_without_tiers() -> None:
    assert tier_counts(None, ["Silver"]) == ()


class TestDifferenceDistribution:
    def test_every_difference_falls_in_exactly_one_bin_and_the_bins_tile_the_range(self) -> None:
        # GIVEN differences from -35 to 64 points
        differences = [-35, -1, 0, 0, 0, 3, 17, 64]
        # WHEN they are binned
        bins = difference_bins(differences)
        # THEN 20 bins of 5 points run from the lowest to the highest, with every account counted once
        assert (bins[0].low, bins[-1].high, len(bins)) == (-35, 64, 20)
        assert all(later.low == earlier.high + 1 for earlier, later in pairwise(bins))
        assert sum(span.accounts for span in bins) == len(differences)
        assert next(span for span in bins if span.low <= 0 <= span.high).accounts == 4  # the zeros and the 3

    def test_a_narrow_range_gets_one_point_bins_and_no_differences_get_none(self) -> None:
        assert [(span.low, span.high, span.accounts) for span in difference_bins([2, 0, 2])] == [
            (0, 0, 1),
            (1, 1, 0),
            (2, 2, 2),
        ]
        assert difference_bins([]) == ()


def test_a_candidate_with_tiers_by_orders_counts_each_replayed_order_once(program: Program) -> None:
    # GIVEN three small orders of ACME and one of BETA, and a candidate whose Silver takes 3 orders
    orders = [order(f"SO-{day}", f"2026-06-{day:02d}T10:00:00Z") for day in (1, 2, 3)]
    orders.append(order("SO-9", "2026-06-09T10:00:00Z", customer="BETA"))
    tiers = {
        "basis": "orders",
        "window_days": 365,
        "levels": [{"name": "Bronze", "threshold": 0}, {"name": "Silver", "threshold": 3}],
    }
    candidate = make_program(tiers=tiers)

    # WHEN both replay them
    result = backtest(program, candidate, orders, start=START, end=END, baseline_version=1)

    # THEN under the candidate ACME reached Silver with its third order (3 items: Bronze under the baseline)
    assert result.candidate.tiers == (TierCount(tier="Bronze", accounts=1), TierCount(tier="Silver", accounts=1))
    assert result.difference.accounts_changing_tier == 1
