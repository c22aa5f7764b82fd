"""Returns and the history import for real: ``make run``'s stack on loopback sockets, driven with urllib and the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from local.stack import LocalKeys, launch
from loyalty_cli.main import app
from sam_emulator.server import Launched
from tests.e2e.conftest import ADMIN_KEY, STOREFRONT_KEY

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e

LINES = [
    {"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"},
    {"sku": "DRILL", "quantity": 2, "unit_price": "100", "category": "tools"},
]
"""650.00 for a Bronze account under the demo program: base 650, fasteners 450, bulk 1000 (2,100 points)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(url: str, body: Any = None, key: str = STOREFRONT_KEY, method: str | None = None) -> tuple[int, Any]:
    headers = {"x-api-key": key, **({"content-type": "application/json"} if body is not None else {})}
    data = json.dumps(body).encode() if body is not None else None
    verb = method or ("POST" if data is not None else "GET")
    request = urllib.request.Request(url, data=data, headers=headers, method=verb)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def order(order_id: str, customer_id: str, placed_at: str = "2026-11-20T10:15:00Z", **changes: Any) -> dict[str, Any]:
    body = {"order_id": order_id, "customer_id": customer_id, "placed_at": placed_at, "currency": "EUR"}
    return {**body, "lines": LINES, **changes}


@pytest.fixture(scope="module")
def running() -> Iterator[Launched]:
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    stack = launch(port=0, keys=LocalKeys())
    try:
        yield stack
    finally:
        stack.stop()
        if endpoint_before is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)


def test_a_return_over_http_reverses_its_share_answers_a_replay_alike_and_refuses_a_conflict(running: Launched) -> None:
    url = running.url
    # GIVEN RETCO committed 650.00 (2,100 points)
    assert call(f"{url}/orders", order("SO-R1", "RETCO"))[0] == 201

    # WHEN one drill comes back, and the same return is sent again
    first = call(f"{url}/orders/SO-R1/returns", {"return_id": "RET-1", "lines": [{"sku": "DRILL", "quantity": 1}]})
    again = call(f"{url}/orders/SO-R1/returns", {"return_id": "RET-1", "lines": [{"sku": "DRILL", "quantity": 1}]})

    # THEN 324 points are reversed once; other lines under RET-1, or more than is left, are 409s
    expected = {"order_id": "SO-R1", "return_id": "RET-1", "points_reversed": 324, "points_restored": 0}
    assert first == (201, {**expected, "balance": 1776})
    assert again == (200, first[1])
    conflict = call(f"{url}/orders/SO-R1/returns", {"return_id": "RET-1", "lines": [{"sku": "DRILL", "quantity": 2}]})
    assert (conflict[0], conflict[1]["error"]["code"]) == (409, "return_conflict")
    exceeds = call(f"{url}/orders/SO-R1/returns", {"return_id": "RET-2", "lines": [{"sku": "DRILL", "quantity": 2}]})
    assert (exceeds[0], exceeds[1]["error"]["code"]) == (409, "return_exceeds_order")
    ledger = call(f"{url}/customers/RETCO/ledger")[1]["entries"]
    assert sum(entry["points"] for entry in ledger) == 1776


def test_a_cancel_with_lines_is_a_422_and_a_cancel_after_a_return_reverses_the_rest(running: Launched) -> None:
    url = running.url
    assert call(f"{url}/orders", order("SO-R2", "RETCO-2"))[0] == 201
    assert (
        call(f"{url}/orders/SO-R2/returns", {"return_id": "RET-1", "lines": [{"sku": "DRILL", "quantity": 1}]})[0]
        == 201
    )

    refused = call(f"{url}/orders/SO-R2/cancel", {"lines": [{"sku": "DRILL", "quantity": 1}]})
    cancelled = call(f"{url}/orders/SO-R2/cancel", method="POST")

    assert (refused[0], refused[1]["error"]["code"]) == (422, "validation_error")
    assert cancelled == (200, {"order_id": "SO-R2", "points_reversed": 2100 - 324, "balance": 0})
    assert call(f"{url}/orders/SO-NOPE/returns", {"return_id": "R", "lines": [{"sku": "X", "quantity": 1}]})[0] == 404


def test_the_history_import_needs_the_admin_key(running: Launched) -> None:
    status, body = call(f"{running.url}/admin/history", {"orders": [order("OLD-X", "HISTCO")]}, key=STOREFRONT_KEY)

    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_the_command_imports_a_file_through_the_api_once(running: Launched, tmp_path: Path) -> None:
    # GIVEN 120 past orders of HISTCO (10 items each) and one line that is not an order
    lines = [
        json.dumps(order(f"OLD-{index}", "HISTCO", "2026-06-01T09:00:00Z", lines=[{**LINES[0], "quantity": 10}]))
        for index in range(120)
    ]
    lines.insert(5, '{"order_id": "OLD-BAD"}')
    file = tmp_path / "history.jsonl"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    arguments = ["import-history", str(file), "--url", running.url, "--api-key", ADMIN_KEY]

    # WHEN it is imported through the API, twice
    first = CliRunner().invoke(app, arguments)
    second = CliRunner().invoke(app, arguments)

    # THEN the 120 orders are imported once, line 6 is reported, and HISTCO has their volume and no points
    assert first.exit_code == 1, first.output
    assert json.loads(first.stdout.strip().splitlines()[-1]) == {"imported": 120, "skipped": 0, "bad_lines": 1}
    assert "line 6:" in first.stderr
    assert json.loads(second.stdout.strip().splitlines()[-1]) == {"imported": 0, "skipped": 120, "bad_lines": 1}
    status, summary = call(f"{running.url}/customers/HISTCO")
    assert status == 200
    assert summary["balance"] == 0
    assert summary["tier"] == "Silver"


def test_the_command_imports_straight_into_the_local_stacks_dynamodb(running: Launched, tmp_path: Path) -> None:
    file = tmp_path / "history.jsonl"
    file.write_text(json.dumps(order("OLD-DIRECT", "DIRECTCO", "2026-06-01T09:00:00Z")) + "\n", encoding="utf-8")

    # A process of its own, as beside `make run`: in this one, the stack's functions set and restore
    # os.environ around each invocation, and the command reads its table names from there.
    result = subprocess.run(
        [sys.executable, "-m", "loyalty_cli.main", "import-history", str(file)],
        env={**os.environ, "AWS_ENDPOINT_URL": running.aws.endpoint},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"imported": 1, "skipped": 0, "bad_lines": 0}
    status, summary = call(f"{running.url}/customers/DIRECTCO")
    assert (status, summary["tier_progress"]["volume"]) == (200, 1002)


def test_a_call_the_api_does_not_answer_names_its_lines_and_the_rest_goes_on(tmp_path: Path) -> None:
    # GIVEN two orders and a URL where nothing listens
    file = tmp_path / "history.jsonl"
    file.write_text(
        "\n".join(json.dumps(order(f"OLD-{index}", "GONECO")) for index in range(2)) + "\n", encoding="utf-8"
    )

    result = CliRunner().invoke(
        app, ["import-history", str(file), "--url", f"http://127.0.0.1:{free_port()}", "--api-key", ADMIN_KEY]
    )

    assert result.exit_code == 1
    assert "lines 1-2: not imported" in result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"imported": 0, "skipped": 0, "bad_lines": 1}
