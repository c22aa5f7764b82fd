"""The stored side of ``loyalty backtest --from --to``: the active program and the standing orders, through the AWS API.

boto3 finds the account as usual; with ``AWS_ENDPOINT_URL`` alone (the local stack) the region,
dummy credentials and table names are the local stack's (``loyalty_cli.aws``).
"""

from __future__ import annotations

from datetime import date

from loyalty.backtest import warmup_start
from loyalty.errors import NotConfigured
from loyalty_cli import aws
from loyalty_cli.backtest import Replay, day_end, day_start
from loyalty_cli.documents import ProgramFile


def stored_replay(candidate: ProgramFile, baseline: ProgramFile | None, start: date, end: date) -> Replay:
    """The window's standing orders (and its warm-up), against the active program unless ``baseline`` is given."""
    aws.use_endpoint_defaults()
    aws.use_local_tables("AdminFunction")
    try:
        from loyalty_aws.orders import DynamoOrderArchive
    except ImportError as error:
        raise aws.StoredOrdersUnavailable(
            "this version of loyalty_aws cannot list stored orders by day (no DynamoOrderArchive); "
            "replay a file instead: --orders FILE.jsonl --baseline FILE"
        ) from error

    if baseline is None:
        try:
            active = aws.active_program()
        except NotConfigured as error:
            raise aws.StoredOrdersUnavailable(f"{error.message}, or pass --baseline FILE") from error
        program, source, version = active.program, f"active version {active.version}", active.version
    else:
        program, source, version = baseline.program, str(baseline.path), None
    if program.currency != candidate.program.currency:
        raise aws.StoredOrdersUnavailable(
            f"the candidate is in {candidate.program.currency} and the baseline ({source}) in {program.currency}: "
            "a backtest compares two programs of one currency"
        )
    since = warmup_start(program, candidate.program, start)
    archive = DynamoOrderArchive()
    first, after = day_start(since), day_end(end)
    return Replay(
        baseline=program,
        baseline_source=source,
        baseline_version=version,
        candidate=candidate.program,
        candidate_source=str(candidate.path),
        start=start,
        end=end,
        orders=archive.standing_orders(first, after),
        count=archive.count_standing(first, after),
    )
