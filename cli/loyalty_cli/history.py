"""``loyalty import-history FILE.jsonl``: past orders streamed into the engine, 100 at a time, with a progress bar.

Through the API (``--url`` and ``--api-key``: ``POST /admin/history``, as any client would) or
straight into DynamoDB by the same use case the function runs (boto3 as usual; with
``AWS_ENDPOINT_URL`` alone, the local stack's region, credentials and tables). The file is read a
line at a time. A bad line (not JSON, not an order, refused by the engine) is reported with its
line number and the rest goes on; the command then exits 1, so that a script notices.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from loyalty.errors import InvalidInput, LoyaltyError
from loyalty.history import MAX_IMPORT, HistoryImport
from loyalty.order import Order
from loyalty_cli import aws
from loyalty_cli.progress import progress_bar

URL_HELP = "the API's base URL (e.g. http://127.0.0.1:3000); without it, orders go straight into DynamoDB"
KEY_HELP = "an admin API key (with --url)"
BATCH_HELP = f"orders per call (at most {MAX_IMPORT})"
TIMEOUT_SECONDS = 300
"""A call imports up to 100 orders, each account in its own transaction: generous for a busy local stack."""


class BatchRefused(Exception):
    """The engine refused some orders of a batch: their indexes in the batch and why."""

    def __init__(self, problems: dict[int, str]) -> None:
        super().__init__(f"{len(problems)} orders refused")
        self.problems = problems


class BatchFailed(Exception):
    """The batch could not be sent (the API did not answer): none of it is known to be imported."""


Sink = Callable[[list[dict[str, Any]]], tuple[int, int]]
"""Imports a batch of order bodies: (imported, skipped); ``BatchRefused`` when some are refused."""


@dataclass
class Tally:
    imported: int = 0
    skipped: int = 0
    bad: list[str] = field(default_factory=list)


def command(
    file: Annotated[Path, typer.Argument(metavar="FILE.jsonl", help="one POST /orders body a line")],
    url: Annotated[str | None, typer.Option("--url", help=URL_HELP)] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", envvar="LOYALTY_API_KEY", help=KEY_HELP)] = None,
    batch: Annotated[int, typer.Option("--batch", min=1, max=MAX_IMPORT, help=BATCH_HELP)] = MAX_IMPORT,
) -> None:
    """Import past orders: they earn nothing and count toward tier volume, first-order dates and lifetime spend.

    Exactly once by order_id: run it again and every order already stored is skipped.
    """
    console = Console(stderr=True)
    if url is not None and not api_key:
        raise typer.BadParameter("--url needs --api-key (an admin key)", param_hint="'--api-key'")
    try:
        total = _count_lines(file)
    except OSError as error:
        raise typer.BadParameter(f"{file} cannot be read ({error.strerror})", param_hint="'FILE.jsonl'") from error
    try:
        sink = api_sink(url, api_key or "") if url is not None else dynamodb_sink()
    except aws.StoredDataUnavailable as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    try:
        tally = run(file, total, sink, batch, console)
    except LoyaltyError as error:
        console.print(f"[red]error:[/red] {error.message}")
        raise typer.Exit(2) from error
    for problem in tally.bad:
        console.print(problem, soft_wrap=True, highlight=False)
    typer.echo(json.dumps({"imported": tally.imported, "skipped": tally.skipped, "bad_lines": len(tally.bad)}))
    if tally.bad:
        raise typer.Exit(1)


def run(file: Path, total: int, sink: Sink, size: int, console: Console) -> Tally:
    tally = Tally()
    with progress_bar(console) as progress:
        task = progress.add_task(f"importing {file.name}", total=total)
        pending: list[tuple[int, dict[str, Any]]] = []
        for number, payload, problem in _lines(file):
            if problem is not None:
                tally.bad.append(f"line {number}: {problem}")
            elif payload is not None:
                pending.append((number, payload))
            if len(pending) == size:
                _send(pending, sink, tally)
                pending = []
            progress.update(task, completed=number)
        if pending:
            _send(pending, sink, tally)
        progress.update(task, completed=total)
    return tally


def _send(pending: list[tuple[int, dict[str, Any]]], sink: Sink, tally: Tally) -> None:
    """Import a batch; when the engine refuses some orders, report their lines and import the others."""
    while pending:
        try:
            imported, skipped = sink([payload for _, payload in pending])
        except BatchRefused as refused:
            for index, why in sorted(refused.problems.items()):
                tally.bad.append(f"line {pending[index][0]}: {why}")
            pending = [entry for index, entry in enumerate(pending) if index not in refused.problems]
            continue
        except BatchFailed as failed:
            first, last = pending[0][0], pending[-1][0]
            tally.bad.append(f"lines {first}-{last}: not imported ({failed}); run the command again to import them")
            return
        tally.imported += imported
        tally.skipped += skipped
        return


def _lines(file: Path) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Each line: its number, the order body (``None`` for a blank line) or why it is not one."""
    with file.open(encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                yield number, None, None
                continue
            try:
                payload = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, f"not JSON ({error.msg} at column {error.colno})"
                continue
            try:
                Order.parse(payload)
            except InvalidInput as error:
                yield number, None, "not a valid order (" + _fields(error.details) + ")"
                continue
            yield number, payload, None


def _count_lines(file: Path) -> int:
    with file.open("rb") as lines:
        return sum(1 for _ in lines)


def _fields(details: Any) -> str:
    return "; ".join(f"{detail.field or '(order)'}: {detail.message}" for detail in details)


def _refused_orders(details: list[tuple[str, str]]) -> dict[int, str]:
    """Field errors ``orders.<i>.<field>`` as problems per batch index; ``{}`` when they do not name orders."""
    problems: dict[int, list[str]] = {}
    for name, message in details:
        parts = name.split(".")
        if len(parts) >= 2 and parts[0] == "orders" and parts[1].isdigit():
            problems.setdefault(int(parts[1]), []).append(f"{'.'.join(parts[2:]) or '(order)'}: {message}")
    return {index: "refused (" + "; ".join(messages) + ")" for index, messages in problems.items()}


# ---------------------------------------------------------------------------------------------- sinks


def dynamodb_sink() -> Sink:
    """The use case of ``POST /admin/history`` on the stack's tables."""
    aws.use_endpoint_defaults()
    aws.use_local_tables("HistoryFunction")
    aws.require_tables()
    from loyalty_aws.history import DynamoHistoryStore
    from loyalty_aws.programs import DynamoProgramStore
    from loyalty_service.history import HistoryService
    from loyalty_service.programs import ProgramSource

    service = HistoryService(DynamoHistoryStore(), ProgramSource(DynamoProgramStore()))

    def send(payloads: list[dict[str, Any]]) -> tuple[int, int]:
        try:
            result = service.import_orders(HistoryImport.model_validate({"orders": payloads}))
        except InvalidInput as error:
            problems = _refused_orders([(detail.field, detail.message) for detail in error.details])
            if not problems:
                raise
            raise BatchRefused(problems) from error
        return result.imported, result.skipped

    return send


def api_sink(url: str, api_key: str) -> Sink:
    """``POST /admin/history`` with the admin key."""
    endpoint = url.rstrip("/") + "/admin/history"

    def send(payloads: list[dict[str, Any]]) -> tuple[int, int]:
        body = json.dumps({"orders": payloads}).encode("utf-8")
        request = urllib.request.Request(
            endpoint, data=body, method="POST", headers={"content-type": "application/json", "x-api-key": api_key}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            _refused(endpoint, error)
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            reason = getattr(error, "reason", None) or error
            raise BatchFailed(f"{endpoint} did not answer: {reason}") from error
        return answer["imported"], answer["skipped"]

    return send


def _refused(endpoint: str, error: urllib.error.HTTPError) -> NoReturn:
    """Refused orders of a 422 as ``BatchRefused``; any other answer stops the command, saying what it was."""
    envelope = _envelope(error)
    details = [(item.get("field", ""), item.get("message", "")) for item in envelope.get("details", [])]
    problems = _refused_orders(details) if error.code == 422 else {}
    if problems:
        raise BatchRefused(problems) from error
    raise typer.BadParameter(
        f"{endpoint} answered {error.code} {envelope.get('code', '')}: {envelope.get('message', '')}",
        param_hint="'--url' / '--api-key'",
    ) from error


def _envelope(error: urllib.error.HTTPError) -> dict[str, Any]:
    try:
        found = json.loads(error.read()).get("error")
    except (ValueError, AttributeError):
        return {}
    return found if isinstance(found, dict) else {}
