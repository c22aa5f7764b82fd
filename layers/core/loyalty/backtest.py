"""Backtest: replay the same standing orders under the active program and a candidate, and compare.

Each side starts from empty accounts and applies the orders with the live code: ``commit_order``
for every order, the tier review the nightly job makes (``tiers.review`` then ``prune``, on the
accounts whose review is due, due days kept with ``review_due_on`` as the order service keeps
them), and ``expire_lots`` when a lot reaches its end. So the difference between the sides is
the programs' alone, and no rule is written twice.

Codes and point redemptions of the originals are left out on both sides: they belong to the
history that was, not to a program that might be. Orders placed before ``start`` are a warm-up,
replayed on a side within its own tier window before ``start``, and never counted.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from pydantic import ConfigDict, Field

from loyalty.account import Account
from loyalty.commit import Applied, apply_order, issues_next_purchase
from loyalty.decision import Money, Output
from loyalty.money import EXACT, ZERO, exact
from loyalty.order import Order
from loyalty.program import Program
from loyalty.report import DiscountTally, DiscountTotal, RuleTally, RuleTotal, TierCount, tier_counts
from loyalty.tiers import prune, review, review_due_on, window_start

REVIEW_TIME = time(2, tzinfo=UTC)
"""When the nightly tier review runs (the template's ``TiersSchedule``)."""
LARGEST_DIFFERENCES = 20
DISTRIBUTION_BINS = 20
PRUNE_AFTER = timedelta(days=28)
"""How long the oldest bucket stays past the tier window before a replay drops the old ones, all at once."""


class SideResult(Output):
    program_version: int | None
    orders: int
    revenue: Money
    discount_total: Money
    discounts: tuple[DiscountTotal, ...]
    points: int
    cost: Money
    rules: tuple[RuleTotal, ...]
    codes_issued: int
    tiers: tuple[TierCount, ...]


class AccountDifference(Output):
    customer_id: str
    points_baseline: int
    points_candidate: int


class DifferenceBin(Output):
    """Accounts whose candidate points minus baseline points lie in ``low``..``high`` (both included)."""

    low: int
    high: int
    accounts: int


class Difference(Output):
    points: int
    cost: Money
    discount_total: Money
    accounts_changing_tier: int
    accounts: tuple[AccountDifference, ...]
    distribution: tuple[DifferenceBin, ...] = ()
    """Every account that earned on either side, by its difference: equal-width bins from the lowest to the highest."""


class BacktestResult(Output):
    model_config = ConfigDict(frozen=True, populate_by_name=True, serialize_by_alias=True)

    from_: date = Field(alias="from")
    to: date
    baseline: SideResult
    candidate: SideResult
    difference: Difference


def warmup_start(baseline: Program, candidate: Program, start: date) -> date:
    """The earliest day whose orders the replay needs: the longer tier window before ``start``."""
    return start - timedelta(days=max(_window_days(baseline), _window_days(candidate)))


def backtest(
    baseline: Program,
    candidate: Program,
    orders: Iterable[Order],
    *,
    start: date,
    end: date,
    baseline_version: int | None,
    on_order: Callable[[], None] | None = None,
) -> BacktestResult:
    """Replay ``orders`` (every standing order from ``warmup_start`` to ``end``) on both sides.

    ``on_order`` is called once per order and side, replayed or not, for a progress bar.
    """
    if end < start:
        raise ValueError(f"the backtest window ends ({end}) before it starts ({start})")
    replayed = sorted(
        (_without_history(order) for order in orders), key=lambda order: (order.placed_at, order.order_id)
    )
    with _cycles_unchecked():
        before, after = (SideReplay(program) for program in (baseline, candidate))
        for side in (before, after):
            side.run(replayed, start, end, on_order)
        results = before.result(baseline_version), after.result(None)
        difference = _difference(before, after, *results)
        # The replayed accounts go before the collector resumes: its first pass then has only the results to scan.
        del before, after, side
    return BacktestResult(from_=start, to=end, baseline=results[0], candidate=results[1], difference=difference)


@contextmanager
def _cycles_unchecked() -> Iterator[None]:
    """Pause the cycle collector for the replay, and let it catch up after.

    A replay makes millions of small objects and keeps thousands of accounts alive; none forms a
    reference cycle (models are trees), so reference counting frees them all, while the collector
    would rescan the live accounts over and over: about a third of the run for nothing. The caller
    drops what it made before leaving, or the first collection after would still scan it all.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _window_days(program: Program) -> int:
    return program.tiers.window_days if program.tiers is not None else 0


def _without_history(order: Order) -> Order:
    """The order as any program would see it: no codes, no points redeemed (already valid, so no re-validation)."""
    if not order.codes and not order.redeem_points:
        return order
    return order.model_copy(update={"codes": [], "redeem_points": 0})


def _review_moment(due: date, after: datetime) -> datetime:
    """The nightly run that reviews an account due on ``due``: that day's, unless it ran already at ``after``."""
    moment = datetime.combine(due, REVIEW_TIME)
    if moment > after:
        return moment
    moment = datetime.combine(after.astimezone(UTC).date(), REVIEW_TIME)
    return moment if moment > after else moment + timedelta(days=1)


@dataclass
class SideReplay:
    """One side's accounts as the orders, the nightly reviews and the lots' ends change them."""

    program: Program
    accounts: dict[str, Account] = field(default_factory=dict)
    orders: int = 0
    revenue: Decimal = ZERO
    discount_total: Decimal = ZERO
    points: int = 0
    codes_issued: int = 0
    points_by_account: dict[str, int] = field(default_factory=dict)
    rules: RuleTally = field(default_factory=RuleTally)
    discounts: DiscountTally = field(default_factory=DiscountTally)
    _review_at: dict[str, datetime] = field(default_factory=dict)
    _reviews: list[tuple[datetime, str]] = field(default_factory=list)
    _reviews_to_redo: set[str] = field(default_factory=set)
    """Accounts that ordered, at the same tier, since their review day was worked out."""
    _next_expiry: dict[str, datetime] = field(default_factory=dict)
    """Per account, the end of its first lot with points left: no expiry can change it before."""
    _oldest_kept: tuple[date, date] | None = None
    """The last day an order was applied, and the oldest bucket day kept that day (``_without_old_buckets``)."""
    compact: bool = True
    """Drop what no later result depends on: buckets that left the window (a wallet drops its emptied lots itself).

    A bucket before the tier window's first day never counts again (orders and reviews come in time order,
    so the window only moves on) and never takes volume again (an order adds to its own day's).
    ``False`` keeps them all, as a live account does: both replays give the same results.
    """

    def run(self, orders: list[Order], start: date, end: date, on_order: Callable[[], None] | None) -> None:
        first_day = start - timedelta(days=_window_days(self.program))
        for order in orders:
            if on_order is not None:
                on_order()
            day = order.placed_at.date()
            if first_day <= day <= end:
                self._catch_up(order.placed_at)
                self._apply(order, counted=day >= start)
        last = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC) - timedelta(microseconds=1)
        self._catch_up(last)
        for customer_id in list(self._next_expiry):
            self._expire(customer_id, last)

    def result(self, version: int | None) -> SideResult:
        point_value = self.program.point_value
        with exact():
            cost = self.points * point_value
        return SideResult(
            program_version=version,
            orders=self.orders,
            revenue=self.revenue,
            discount_total=self.discount_total,
            discounts=self.discounts.totals(),
            points=self.points,
            cost=cost,
            rules=self.rules.totals(point_value),
            codes_issued=self.codes_issued,
            tiers=tier_counts(self.program.tiers, (account.tier for account in self.accounts.values())),
        )

    def held(self, customer_id: str) -> str | None:
        """The tier an account holds at the end (one never replayed here holds the first level, as scoring has it)."""
        account = self.accounts.get(customer_id)
        if account is not None and account.tier is not None:
            return account.tier
        tiers = self.program.tiers
        return tiers.levels[0].name if tiers is not None else None

    def _apply(self, order: Order, *, counted: bool) -> None:
        customer_id = order.customer_id
        placed_at = order.placed_at
        account = self._expire(customer_id, placed_at) or Account(customer_id=customer_id)
        if self.compact:
            account = self._without_old_buckets(account, placed_at)
        # The live commit's rules without its record: the fingerprint and ledger entries are not needed,
        # and the next-purchase codes are counted (``_count``), not issued.
        applied = apply_order(self.program, account, order, {}, mint=None)
        self.accounts[customer_id] = applied.account
        self._review_after_order(account, applied.account, placed_at)
        self._schedule_expiry(applied)
        if counted:
            self._count(applied)

    def _without_old_buckets(self, account: Account, moment: datetime) -> Account:
        """The account without the buckets that left the tier window, once the oldest left it ``PRUNE_AFTER`` ago."""
        tiers = self.program.tiers
        buckets = account.buckets
        if tiers is None or not buckets:
            return account
        # The oldest (``add_volume`` keeps buckets in day order) long enough gone that a copy is worth it.
        if buckets[0].day >= self._oldest_kept_at(moment, tiers.window_days):
            return account
        return account.model_copy(update={"buckets": prune(buckets, moment, tiers.window_days)})

    def _oldest_kept_at(self, moment: datetime, window_days: int) -> date:
        """``PRUNE_AFTER`` before the first day of the tier window at ``moment``: worked out once a day, as orders
        come in time order, many a day."""
        day = moment.astimezone(UTC).date()
        kept = self._oldest_kept
        if kept is None or kept[0] != day:
            kept = self._oldest_kept = (day, window_start(moment, window_days) - PRUNE_AFTER)
        return kept[1]

    def _count(self, applied: Applied) -> None:
        """Add an order of the window to the totals (decisions are not kept: a window may hold many).

        The scored decision's figures are the committed decision's: the commit adds only its balance and issued code.
        """
        decision = applied.decision
        customer_id = decision.customer_id
        self.orders += 1
        self.revenue = EXACT.add(
            self.revenue, applied.scoring.eligible_amount
        )  # as ``with exact()``, without entering it
        self.discount_total = EXACT.add(self.discount_total, decision.discount_total)
        self.points += decision.points
        self.codes_issued += issues_next_purchase(self.program, applied.scoring)
        self.points_by_account[customer_id] = self.points_by_account.get(customer_id, 0) + decision.points
        self.rules.add(decision)
        self.discounts.add(decision)

    def _catch_up(self, moment: datetime) -> None:
        """Run every tier review due at or before ``moment``, each at its own time."""
        while self._reviews and self._reviews[0][0] <= moment:
            at, customer_id = heapq.heappop(self._reviews)
            if self._review_at.get(customer_id) != at:
                continue  # put off or replaced since
            if customer_id in self._reviews_to_redo:
                due = self._due_day(self.accounts[customer_id], at)
                if due is None or due > at.date():  # the orders since put it off, as the order service recorded
                    self._set_review(customer_id, due, at)
                    continue
            self._review(customer_id, at)

    def _expire(self, customer_id: str, moment: datetime) -> Account | None:
        """The account with every lot ended by ``moment`` expired.

        Done when the account is next read (its next order, or the end) rather than at each lot's
        end: only the account's own orders see its wallet, and expiring several lots at once leaves
        the wallet the nightly job would have left, lot by lot.
        """
        account = self.accounts.get(customer_id)
        due = self._next_expiry.get(customer_id)
        if account is None or due is None or due > moment:
            return account
        wallet, _ = account.wallet.expire(moment)  # the ledger entries expire_lots would write are not needed
        account = account.model_copy(update={"wallet": wallet})
        self.accounts[customer_id] = account
        next_end = wallet.next_end()
        if next_end is not None:
            self._next_expiry[customer_id] = next_end
        else:
            del self._next_expiry[customer_id]
        return account

    def _review_after_order(self, before: Account, after: Account, placed_at: datetime) -> None:
        if after.customer_id in self._review_at and after.tier == before.tier:
            # More volume at the same tier can only put the review day off: it is worked out when it comes.
            self._reviews_to_redo.add(after.customer_id)
        else:
            self._schedule_review(after, placed_at)

    def _schedule_review(self, account: Account, placed_at: datetime) -> None:
        self._set_review(account.customer_id, self._due_day(account, placed_at), placed_at)

    def _due_day(self, account: Account, moment: datetime) -> date | None:
        """The account's next review day after an order at ``moment``, as the order service records it.

        Also worked out at a review's own time for an account that ordered at the same tier since
        its day was recorded: the later orders only put the day off, and the day is the same, or,
        when it is the review's own day, the review is still due.
        """
        tiers = self.program.tiers
        if tiers is None or account.tier is None:
            return None
        level = tiers.level(account.tier)
        return review_due_on(tiers, level, account.buckets, moment) if level else moment.date()

    def _set_review(self, customer_id: str, due: date | None, after: datetime) -> None:
        self._reviews_to_redo.discard(customer_id)
        if due is None:
            self._review_at.pop(customer_id, None)
            return
        at = _review_moment(due, after)
        self._review_at[customer_id] = at
        heapq.heappush(self._reviews, (at, customer_id))

    def _review(self, customer_id: str, at: datetime) -> None:
        """What the nightly tier job does to an account that is due (``TiersJob.process``)."""
        tiers = self.program.tiers
        if tiers is None:  # pragma: no cover - no review is scheduled without tiers
            return
        account = self.accounts[customer_id]
        evaluation = review(tiers, account.tier, account.buckets, at)
        self.accounts[customer_id] = account.model_copy(
            update={"tier": evaluation.after, "buckets": prune(account.buckets, at, tiers.window_days)}
        )
        self._set_review(customer_id, evaluation.next_review_on, at)

    def _schedule_expiry(self, applied: Applied) -> None:
        if applied.lot is None:
            return
        lot = applied.lot
        customer_id = applied.account.customer_id
        due = self._next_expiry.get(customer_id)
        if lot.expires_at is not None and lot.remaining and (due is None or lot.expires_at < due):
            self._next_expiry[customer_id] = lot.expires_at


def difference_bins(differences: list[int], bins: int = DISTRIBUTION_BINS) -> tuple[DifferenceBin, ...]:
    """At most ``bins`` equal-width integer bins covering every difference; empty bins kept, so the shape shows."""
    if not differences:
        return ()
    low, high = min(differences), max(differences)
    width = -(-(high - low + 1) // bins)  # ceiling division: whole points per bin, at least one
    counts = [0] * ((high - low) // width + 1)
    for difference in differences:
        counts[(difference - low) // width] += 1
    return tuple(
        DifferenceBin(low=low + index * width, high=min(low + (index + 1) * width - 1, high), accounts=count)
        for index, count in enumerate(counts)
    )


def _difference(before: SideReplay, after: SideReplay, baseline: SideResult, candidate: SideResult) -> Difference:
    customers = before.points_by_account.keys() | after.points_by_account.keys()
    pairs = [
        (customer_id, before.points_by_account.get(customer_id, 0), after.points_by_account.get(customer_id, 0))
        for customer_id in customers
    ]
    changed = sorted(
        (pair for pair in pairs if pair[1] != pair[2]), key=lambda pair: (-abs(pair[2] - pair[1]), pair[0])
    )
    largest = [
        AccountDifference(customer_id=customer_id, points_baseline=baseline_points, points_candidate=candidate_points)
        for customer_id, baseline_points, candidate_points in changed[:LARGEST_DIFFERENCES]
    ]
    replayed = before.accounts.keys() | after.accounts.keys()
    with exact():
        return Difference(
            points=candidate.points - baseline.points,
            cost=candidate.cost - baseline.cost,
            discount_total=candidate.discount_total - baseline.discount_total,
            accounts_changing_tier=sum(before.held(customer) != after.held(customer) for customer in replayed),
            accounts=tuple(largest),
            distribution=difference_bins(
                [candidate_points - baseline_points for _, baseline_points, candidate_points in pairs]
            ),
        )
