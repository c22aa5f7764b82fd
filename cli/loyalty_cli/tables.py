"""The comparison in the terminal: rich tables, baseline against candidate, the difference coloured."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from loyalty_cli.comparison import Comparison, Line, accounts_phrase, direction, show

# Neutral hues: more points is good news for customers and a cost for the program, so no green or red.
MORE, LESS = "cyan", "magenta"


def print_comparison(console: Console, comparison: Comparison) -> None:
    console.print()
    console.print(
        Text.assemble(
            ("Backtest: ", "bold"),
            (comparison.candidate_name, "bold cyan"),
            (" against ", "dim"),
            (comparison.baseline_name, "bold"),
        )
    )
    console.print(
        f"baseline: {comparison.baseline_source}; candidate: {comparison.candidate_source}\n"
        f"orders placed {comparison.window} (UTC days, both included); amounts in {comparison.currency}",
        style="dim",
        highlight=False,
    )
    for table in tables(comparison):
        console.print()
        console.print(table)


def tables(comparison: Comparison) -> list[Table]:
    return [
        summary_table(comparison),
        points_table(comparison),
        cost_table(comparison),
        tiers_table(comparison),
        accounts_table(comparison),
    ]


def summary_table(comparison: Comparison) -> Table:
    table = _table("Summary", "", comparison.baseline_label, "candidate", "difference")
    for line in comparison.summary():
        label = Text(f"  {line.label}", style="dim") if line.detail else Text(line.label)
        table.add_row(label, *_cells(line))
    return table


def points_table(comparison: Comparison) -> Table:
    table = _table("Points by rule", "rule", "baseline", "candidate", "difference")
    for line in comparison.rules():
        table.add_row(line.rule, *_cells(line.points))
    if not table.row_count:
        table.add_row(Text("no points on either side", style="dim"))
    return table


def cost_table(comparison: Comparison) -> Table:
    table = _table(f"Cost of points by rule ({comparison.currency})", "rule", "baseline", "candidate", "difference")
    for line in comparison.rules():
        table.add_row(line.rule, *_cells(line.cost))
    if not table.row_count:
        table.add_row(Text("no points on either side", style="dim"))
    return table


def tiers_table(comparison: Comparison) -> Table:
    table = _table("Accounts per tier at the end", "tier", "baseline", "candidate", "difference")
    for line in comparison.tiers():
        table.add_row(line.label, *_cells(line))
    if not table.row_count:
        table.add_row(Text("neither program has tiers", style="dim"))
    return table


def accounts_table(comparison: Comparison) -> Table:
    lines = comparison.accounts()
    table = _table(
        f"{accounts_phrase(len(lines)).capitalize()} whose points differ most",
        "customer",
        "baseline points",
        "candidate points",
        "difference",
    )
    for line in lines:
        table.add_row(line.label, *_cells(line))
    if not lines:
        table.add_row(Text("no account's points differ", style="dim"))
    return table


def _table(title: str, first: str, *numbers: str) -> Table:
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1),
    )
    table.add_column(first, no_wrap=True, min_width=8)
    for heading in numbers:
        table.add_column(heading, justify="right", no_wrap=True)
    return table


def _cells(line: Line) -> tuple[Text, Text, Text]:
    trend = direction(line.difference)
    colour = MORE if trend > 0 else LESS if trend < 0 else "dim"
    return (
        Text(show(line.baseline, money=line.money)),
        Text(show(line.candidate, money=line.money)),
        Text(show(line.difference, money=line.money, signed=not line.count_only), style=colour),
    )
