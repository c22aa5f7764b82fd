"""``make run`` for real: moto's server and the API on loopback sockets, driven with urllib."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local.cloudformation import ROOT
from local.stack import LocalKeys, launch
from sam_emulator.server import Launched, PortInUse
from tests.e2e.conftest import STOREFRONT_KEY

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str, body: Any = None, key: str | None = None) -> tuple[int, Any]:
    headers = {"content-type": "application/json"} if body is not None else {}
    if key:
        headers["x-api-key"] = key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def running() -> Iterator[Launched]:
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    # Port 0: the kernel picks a free port at bind, so that stacks started side by side never race for one.
    stack = launch(port=0, keys=LocalKeys())
    port = int(stack.url.rsplit(":", 1)[1])
    try:
        yield stack
    finally:
        stack.stop()
    # Stopped: the port is free again and the process environment is as it was.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before


def test_stack_answers_over_http_once_healthy(running: Launched) -> None:
    status, health = fetch(f"{running.url}/_local/health")
    assert status == 200
    assert health["status"] == "ready"
    assert health["demo"]["failed"] == []


def test_demo_account_is_served_with_the_local_key(running: Launched) -> None:
    status, account = fetch(f"{running.url}/customers/ACME", key=STOREFRONT_KEY)
    assert status == 200
    assert account["tier"] == "Silver"


def test_preview_over_the_socket(running: Launched) -> None:
    cart = {
        "order_id": "SO-2001",
        "customer_id": "ACME",
        "placed_at": "2026-11-20T10:15:00Z",
        "currency": "EUR",
        "lines": [{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.45", "category": "fasteners"}],
    }
    status, decision = fetch(f"{running.url}/orders/preview", cart, key=STOREFRONT_KEY)
    assert status == 200
    assert decision["discounts"] == [{"source": "tier", "percent": "5", "amount": "22.50"}]
    assert decision["points"] == 2067


def test_unknown_route_and_missing_key_over_the_socket(running: Launched) -> None:
    assert fetch(f"{running.url}/nowhere")[0] == 404
    assert fetch(f"{running.url}/customers/ACME")[0] == 401


def test_functions_reach_the_embedded_aws_through_the_endpoint(running: Launched) -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == running.aws.endpoint
    assert running.aws.endpoint.startswith("http://127.0.0.1:")


def test_a_busy_port_is_refused_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as refused:
            launch(port=port)
    assert refused.value.port == port


def test_make_run_on_a_busy_port_exits_non_zero_naming_the_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "local"],
            cwd=ROOT,
            env={**os.environ, "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"port {port}" in result.stderr
