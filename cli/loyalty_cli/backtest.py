"""``loyalty backtest``: replay orders under the active program and a candidate, and compare what each gives.

Two sources of orders: a JSONL file (``--orders``, one ``POST /orders`` body a line, compared
against ``--baseline``), or the stored orders of a window (``--from``/``--to``), read through the
AWS API with the active program as the baseline. The replay itself is the core's
(``loyalty.backtest``); this module finds its inputs, shows its progress and presents its result.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.text import Text

from loyalty.backtest import BacktestResult, backtest, warmup_start
from loyalty.order import Order
from loyalty.program import Program
from loyalty_cli import aws
from loyalty_cli.comparison import Comparison
from loyalty_cli.documents import ProgramFile, UnusableFile, placed_days, read_orders, read_program
from loyalty_cli.progress import progress_bar
from loyalty_cli.tables import print_comparison

DAY = ["%Y-%m-%d"]
PROGRAM_HELP = "the candidate program document (JSON, as PUT /admin/program takes it)"
FROM_HELP = "the first UTC day of orders (with --orders, default: the day of the file's first order)"
TO_HELP = "the last UTC day of orders, included (with --orders, default: the day of the file's last order)"
ORDERS_HELP = "orders to replay, one POST /orders body a line, instead of the stored ones"
BASELINE_HELP = "the program to compare against (needed with --orders; otherwise the active one)"
HTML_HELP = "also write the comparison as one HTML file with charts (opens offline)"
JSON_HELP = "also write the result as JSON (as POST /admin/backtest answers it)"


@dataclass(frozen=True)
class Replay:
    """Everything one backtest needs: both programs, the window and its orders (warm-up included)."""

    baseline: Program
    baseline_source: str
    baseline_version: int | None
    candidate: Program
    candidate_source: str
    start: date
    end: date
    orders: Iterable[Order]
    count: int
    left_out: int = 0
    """Orders of the file placed outside the window and its warm-up: not replayed."""


def command(
    program: Annotated[Path, typer.Option("--program", metavar="FILE", help=PROGRAM_HELP)],
    start: Annotated[datetime | None, typer.Option("--from", formats=DAY, metavar="YYYY-MM-DD", help=FROM_HELP)] = None,
    end: Annotated[datetime | None, typer.Option("--to", formats=DAY, metavar="YYYY-MM-DD", help=TO_HELP)] = None,
    orders: Annotated[Path | None, typer.Option("--orders", metavar="FILE.jsonl", help=ORDERS_HELP)] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", metavar="FILE", help=BASELINE_HELP)] = None,
    html: Annotated[Path | None, typer.Option("--html", metavar="FILE", help=HTML_HELP)] = None,
    json_file: Annotated[Path | None, typer.Option("--json", metavar="FILE", help=JSON_HELP)] = None,
) -> None:
    """Replay the same orders under the baseline and the candidate program and compare points, cost and tiers.

    With --orders FILE.jsonl the baseline is --baseline FILE; any line of FILE that is not a valid
    order stops the command, naming the line. Without --orders, --from and --to select the stored
    orders, read through the AWS API (AWS_ENDPOINT_URL for the local stack), and the baseline is the
    active program unless --baseline names another.
    """
    errors = Console(stderr=True)
    first, last = _day(start), _day(end)
    if first is not None and last is not None and first > last:
        raise typer.BadParameter(f"--from {first} is after --to {last}", param_hint="'--from'")
    try:
        candidate = read_program(program)
        if orders is not None:
            replay = file_replay(candidate, orders, _baseline_file(baseline), first, last)
        else:
            if first is None or last is None:
                raise typer.BadParameter(
                    "give --orders FILE.jsonl, or --from and --to to replay the stored orders", param_hint="'--orders'"
                )
            from loyalty_cli.stored import stored_replay  # boto3 only when the stored orders are read

            replay = stored_replay(candidate, baseline and read_program(baseline), first, last, errors)
        result = run(replay, errors)
    except UnusableFile as error:
        _report_unusable(errors, error)
        raise typer.Exit(1) from error
    except (BotoCoreError, ClientError, aws.StoredDataUnavailable) as error:
        errors.print(Text.assemble(("error: ", "bold red"), f"reading the stored orders: {error}"), soft_wrap=True)
        raise typer.Exit(1) from error
    comparison = Comparison(
        result=result,
        baseline=replay.baseline,
        baseline_source=replay.baseline_source,
        candidate=replay.candidate,
        candidate_source=replay.candidate_source,
    )
    print_comparison(Console(), comparison)
    if html is not None:
        from loyalty_cli.html_report import write_report  # plotly only when a report is asked for

        write_report(comparison, html)
        errors.print(f"wrote {html}")
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(result_json(result), encoding="utf-8")
        errors.print(f"wrote {json_file}")


def file_replay(
    candidate: ProgramFile, path: Path, baseline: ProgramFile, start: date | None, end: date | None
) -> Replay:
    """The orders of a JSONL file; the window defaults to the days of its first and last order."""
    currency = _currency(baseline, candidate)
    orders = read_orders(path, currency)
    first, last = placed_days(orders)
    start, end = start or first, end or last
    if start > end:
        raise typer.BadParameter(f"the window {start} to {end} is empty (the file's orders: {first} to {last})")
    since = warmup_start(baseline.program, candidate.program, start)
    chosen = sorted(
        (order for order in orders if since <= order.placed_at.date() <= end),
        key=lambda order: (order.placed_at, order.order_id),
    )
    return Replay(
        baseline=baseline.program,
        baseline_source=str(baseline.path),
        baseline_version=None,
        candidate=candidate.program,
        candidate_source=str(candidate.path),
        start=start,
        end=end,
        orders=chosen,
        count=len(chosen),
        left_out=len(orders) - len(chosen),
    )


def run(replay: Replay, console: Console) -> BacktestResult:
    """The core's replay of both sides, with a progress bar over the orders each side replays."""
    total = 2 * replay.count
    if replay.left_out:
        console.print(
            f"{replay.left_out:,} orders placed outside {replay.start} to {replay.end} (and its warm-up) left out"
        )
    with progress_bar(console) as progress:
        task = progress.add_task(f"replaying {replay.count:,} orders under both programs", total=total)
        result = backtest(
            replay.baseline,
            replay.candidate,
            replay.orders,
            start=replay.start,
            end=replay.end,
            baseline_version=replay.baseline_version,
            on_order=ticker(lambda done: progress.update(task, completed=done)),
        )
        progress.update(task, completed=total)
    return result


def ticker(update: Callable[[int], None], every: int = 64) -> Callable[[], None]:
    """A callback counting calls that passes the count on every ``every`` calls (a bar needs no more)."""
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if done % every == 0:
            update(done)

    return tick


def result_json(result: BacktestResult) -> str:
    return json.dumps(result.model_dump(mode="json", by_alias=True), indent=2, ensure_ascii=False) + "\n"


def _baseline_file(baseline: Path | None) -> ProgramFile:
    if baseline is None:
        raise typer.BadParameter(
            "--orders needs --baseline FILE: the program the candidate is compared against", param_hint="'--baseline'"
        )
    return read_program(baseline)


def _currency(baseline: ProgramFile, candidate: ProgramFile) -> str:
    """The programs' one currency: the same orders cannot be scored in two."""
    if baseline.program.currency != candidate.program.currency:
        raise UnusableFile(
            candidate.path,
            f"is in {candidate.program.currency} and the baseline ({baseline.path}) in {baseline.program.currency}: "
            "a backtest compares two programs of one currency",
        )
    return candidate.program.currency


def _day(moment: datetime | None) -> date | None:
    return moment.date() if moment is not None else None


def _report_unusable(console: Console, error: UnusableFile) -> None:
    """The file and what is wrong with it, one problem a line, never wrapped (so a line number stays greppable)."""
    console.print(Text.assemble(("error: ", "bold red"), str(error)), soft_wrap=True)
    for problem in error.problems:
        console.print(Text(f"  {problem}"), soft_wrap=True)
