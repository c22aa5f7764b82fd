"""The stored side of ``loyalty backtest --from --to``: the active program and the standing orders, through the AWS API.

The orders are read as ``POST /admin/backtest`` reads them (``loyalty_aws.reports.DynamoOrderArchive``,
by placed_at day, never a Scan), and replayed here by the same core function, so that the command
and the API agree; the command has no limit on the window and may compare against ``--baseline``.

boto3 finds the account as usual; with ``AWS_ENDPOINT_URL`` alone (the local stack) the region,
dummy credentials and table names are the local stack's (``loyalty_cli.aws``).
"""

from __future__ import annotations

from datetime import date

from rich.console import Console

from loyalty.backtest import warmup_start
from loyalty.errors import NotConfigured
from loyalty_aws.reports import DynamoOrderArchive
from loyalty_cli import aws
from loyalty_cli.backtest import Replay
from loyalty_cli.documents import ProgramFile


def stored_replay(
    candidate: ProgramFile, baseline: ProgramFile | None, start: date, end: date, console: Console
) -> Replay:
    """The window's standing orders (and its warm-up), against the active program unless ``baseline`` is given."""
    aws.use_endpoint_defaults()
    aws.use_local_tables("ReportsFunction")
    aws.require_tables()

    if baseline is None:
        try:
            active = aws.active_program()
        except NotConfigured as error:
            raise aws.StoredDataUnavailable(f"{error.message}, or pass --baseline FILE") from error
        program, source, version = active.program, f"active version {active.version}", active.version
    else:
        program, source, version = baseline.program, str(baseline.path), None
    if program.currency != candidate.program.currency:
        raise aws.StoredDataUnavailable(
            f"the candidate is in {candidate.program.currency} and the baseline ({source}) in {program.currency}: "
            "a backtest compares two programs of one currency"
        )
    since = warmup_start(program, candidate.program, start)
    with console.status(f"reading the standing orders placed from {since} to {end} (with the warm-up)"):
        orders = list(DynamoOrderArchive().standing_orders(since, end))
    return Replay(
        baseline=program,
        baseline_source=source,
        baseline_version=version,
        candidate=candidate.program,
        candidate_source=str(candidate.path),
        start=start,
        end=end,
        orders=orders,
        count=len(orders),
    )
