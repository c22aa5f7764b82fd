"""The files a program manager hands the command: program documents, and orders one JSON body a line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from loyalty.errors import InvalidInput
from loyalty.order import Order
from loyalty.program import Program

SHOWN_BAD_LINES = 10


class UnusableFile(Exception):
    """A file the command cannot work from; ``problems`` say where and why, one line each."""

    def __init__(self, path: Path, summary: str, problems: list[str] | None = None) -> None:
        super().__init__(f"{path}: {summary}")
        self.path = path
        self.summary = summary
        self.problems = problems or []


@dataclass(frozen=True)
class ProgramFile:
    path: Path
    program: Program


def read_program(path: Path) -> ProgramFile:
    """A program document, as ``PUT /admin/program`` takes it or as ``GET /admin/program`` answers it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UnusableFile(path, f"cannot be read ({error.strerror})") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UnusableFile(path, f"is not JSON: {error}") from error
    document = _program_document(document)
    try:
        return ProgramFile(path=path, program=Program.parse(document))
    except InvalidInput as error:
        problems = [f"{detail.field or '(document)'}: {detail.message}" for detail in error.details]
        raise UnusableFile(path, "is not a valid program document", problems) from error


def _program_document(document: Any) -> Any:
    """The program itself: an admin answer's ``program``, a PUT body without its ``activates_at``."""
    if isinstance(document, dict) and isinstance(document.get("program"), dict) and "name" not in document:
        document = document["program"]
    if isinstance(document, dict):
        document = {key: value for key, value in document.items() if key != "activates_at"}
    return document


def read_orders(path: Path, currency: str) -> list[Order]:
    """Every order of a JSONL file (one ``POST /orders`` body a line; blank lines are skipped).

    A bad line is fatal: the comparison is only meaningful over the whole file. A line is bad when
    it is not JSON, not an order as ``POST /orders`` takes it, not in ``currency`` (the programs'),
    or repeats an ``order_id``. Every bad line is found first, so that one run names them all (the
    first ``SHOWN_BAD_LINES`` are shown).
    """
    orders: list[Order] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    order = _order(line, currency)
                except ValueError as error:
                    problems.append(f"line {number}: {error}")
                    continue
                if order.order_id in first_line:
                    problems.append(
                        f"line {number}: order_id {order.order_id!r} is already on line {first_line[order.order_id]}"
                    )
                    continue
                first_line[order.order_id] = number
                orders.append(order)
    except OSError as error:
        raise UnusableFile(path, f"cannot be read ({error.strerror})") from error
    except UnicodeDecodeError as error:
        raise UnusableFile(path, f"is not UTF-8 text ({error.reason} at byte {error.start})") from error
    if problems:
        count = len(problems)
        shown = problems[:SHOWN_BAD_LINES]
        if count > SHOWN_BAD_LINES:
            shown.append(f"... and {count - SHOWN_BAD_LINES} more")
        noun = "line is" if count == 1 else "lines are"
        raise UnusableFile(path, f"{count} {noun} not a valid order; nothing was replayed", shown)
    if not orders:
        raise UnusableFile(path, "holds no order")
    return orders


def _order(line: str, currency: str) -> Order:
    try:
        payload = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg} at column {error.colno})") from error
    try:
        order = Order.parse(payload)
        order.check_currency(currency)
    except InvalidInput as error:
        fields = "; ".join(f"{detail.field or '(order)'}: {detail.message}" for detail in error.details)
        raise ValueError(f"not a valid order ({fields})") from error
    return order


def placed_days(orders: list[Order]) -> tuple[date, date]:
    """The first and the last UTC day on which an order of ``orders`` was placed."""
    days = [order.placed_at.date() for order in orders]
    return min(days), max(days)
