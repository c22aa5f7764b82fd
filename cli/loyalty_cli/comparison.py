"""A backtest result as the lines people compare: baseline, candidate, difference. Shared by the table and the HTML.

The terminal and the report show the same lines, formatted the same way, so that a number read
in one can be found in the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from loyalty.backtest import BacktestResult, SideResult
from loyalty.money import round_money
from loyalty.program import Program
from loyalty.report import RuleTotal

Value = int | Decimal


@dataclass(frozen=True)
class Line:
    label: str
    baseline: Value | None
    candidate: Value | None
    difference: Value | None
    money: bool = False
    detail: bool = False
    """A line that details the one above it (a discount source under the discount total)."""

    @property
    def count_only(self) -> bool:
        """A line that counts what differs (accounts changing tier) rather than comparing two values."""
        return self.baseline is None and self.candidate is None


@dataclass(frozen=True)
class RuleLine:
    rule: str
    points: Line
    cost: Line
    orders: Line


@dataclass(frozen=True)
class Comparison:
    result: BacktestResult
    baseline: Program
    baseline_source: str
    """Where the baseline comes from: its file, or the active version."""
    candidate: Program
    candidate_source: str

    @property
    def currency(self) -> str:
        return self.candidate.currency

    @property
    def baseline_name(self) -> str:
        return self._named(self.baseline, self.baseline_source)

    @property
    def candidate_name(self) -> str:
        return self._named(self.candidate, self.candidate_source)

    def _named(self, program: Program, source: str) -> str:
        """A program's name; with its source when both programs have the same name."""
        same = self.baseline.name == self.candidate.name
        return f"{program.name} ({source})" if same else program.name

    @property
    def baseline_label(self) -> str:
        version = self.result.baseline.program_version
        return "baseline" if version is None else f"baseline (v{version})"

    @property
    def window(self) -> str:
        return f"{self.result.from_.isoformat()} to {self.result.to.isoformat()}"

    def summary(self) -> list[Line]:
        baseline, candidate, difference = self.result.baseline, self.result.candidate, self.result.difference
        discounts = _discount_lines(baseline, candidate)
        return [
            Line("orders", baseline.orders, candidate.orders, candidate.orders - baseline.orders),
            Line("revenue", baseline.revenue, candidate.revenue, candidate.revenue - baseline.revenue, money=True),
            Line(
                "discount total",
                baseline.discount_total,
                candidate.discount_total,
                difference.discount_total,
                money=True,
            ),
            *discounts,
            Line("points", baseline.points, candidate.points, difference.points),
            Line("cost of points", baseline.cost, candidate.cost, difference.cost, money=True),
            Line(
                "codes issued",
                baseline.codes_issued,
                candidate.codes_issued,
                candidate.codes_issued - baseline.codes_issued,
            ),
            Line("accounts changing tier", None, None, difference.accounts_changing_tier),
        ]

    def rules(self) -> list[RuleLine]:
        """Points, cost and orders by rule, both sides; the rules that produce the most points first."""
        baseline = {total.rule: total for total in self.result.baseline.rules}
        candidate = {total.rule: total for total in self.result.candidate.rules}
        names = sorted(
            {*baseline, *candidate},
            key=lambda rule: (-max(_points(baseline, rule), _points(candidate, rule)), rule),
        )
        lines = []
        for rule in names:
            old, new = baseline.get(rule), candidate.get(rule)
            lines.append(
                RuleLine(
                    rule=rule,
                    points=_line(rule, old.points if old else 0, new.points if new else 0),
                    cost=_line(rule, old.cost if old else Decimal(0), new.cost if new else Decimal(0), money=True),
                    orders=_line(rule, old.orders if old else 0, new.orders if new else 0),
                )
            )
        return lines

    def tiers(self) -> list[Line]:
        """Accounts per tier at the end; the baseline's levels in its order, then any the candidate adds."""
        baseline = {count.tier: count.accounts for count in self.result.baseline.tiers}
        candidate = {count.tier: count.accounts for count in self.result.candidate.tiers}
        names = [*baseline, *(tier for tier in candidate if tier not in baseline)]
        return [_line(tier, baseline.get(tier, 0), candidate.get(tier, 0)) for tier in names]

    def accounts(self) -> list[Line]:
        """The accounts whose points differ the most (as the result lists them), largest difference first."""
        accounts = sorted(
            self.result.difference.accounts,
            key=lambda account: (-abs(account.points_candidate - account.points_baseline), account.customer_id),
        )
        return [_line(account.customer_id, account.points_baseline, account.points_candidate) for account in accounts]


def accounts_phrase(count: int) -> str:
    """``the 20 accounts`` / ``the one account``, for the titles over the largest differences."""
    return "the one account" if count == 1 else f"the {count} accounts"


def _line(label: str, baseline: Value, candidate: Value, *, money: bool = False) -> Line:
    return Line(label, baseline, candidate, candidate - baseline, money=money)


def _points(totals: dict[str, RuleTotal], rule: str) -> int:
    total = totals.get(rule)
    return total.points if total else 0


def _discount_lines(baseline: SideResult, candidate: SideResult) -> list[Line]:
    old = {total.source: total.amount for total in baseline.discounts}
    new = {total.source: total.amount for total in candidate.discounts}
    sources = [*old, *(source for source in new if source not in old)]
    return [
        Line(
            f"{source} discounts",
            old.get(source, Decimal(0)),
            new.get(source, Decimal(0)),
            new.get(source, Decimal(0)) - old.get(source, Decimal(0)),
            money=True,
            detail=True,
        )
        for source in sources
    ]


def show(value: Value | None, *, money: bool = False, signed: bool = False) -> str:
    """``1,234`` / ``1,234.50``; with ``signed``, ``+1,234`` or ``-12.00`` (and a plain ``0`` for no change)."""
    if value is None:
        return ""
    if money:
        amount = round_money(Decimal(value))
        return f"{amount:+,.2f}" if signed and amount != 0 else f"{amount:,.2f}"
    return f"{value:+,}" if signed and value != 0 else f"{value:,}"


def direction(value: Value | None) -> int:
    """1 for more, -1 for less, 0 for no change or nothing to compare."""
    if value is None or value == 0:
        return 0
    return 1 if value > 0 else -1
