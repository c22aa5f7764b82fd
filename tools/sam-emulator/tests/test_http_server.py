"""The stub stack served for real: moto's server and the API on loopback sockets; the command line."""

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

from sam_emulator.emulator import Emulator
from sam_emulator.server import Launched, PortInUse, launch
from sam_emulator.template import Stack

pytestmark = pytest.mark.e2e


def fetch(url: str, key: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"x-api-key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield int(taken.getsockname()[1])


@pytest.fixture(scope="module")
def running() -> Iterator[Launched[Emulator]]:
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    template = Path(__file__).resolve().parent / "stub" / "template.yaml"
    served = launch(lambda url: Emulator(Stack.load(template, region="eu-central-1")), region="eu-central-1", port=0)
    try:
        yield served
    finally:
        served.stop()
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before


def test_the_stack_answers_over_http_once_healthy(running: Launched[Emulator]) -> None:
    status, health = fetch(f"{running.url}/_local/health")
    assert status == 200
    assert health == {"status": "ready", "routes": 10, "functions": 8, "jobs": ["job"]}


def test_a_function_reaches_the_embedded_aws_through_the_endpoint(running: Launched[Emulator]) -> None:
    assert os.environ["AWS_ENDPOINT_URL"] == running.aws.endpoint
    status, body = fetch(f"{running.url}/items/7", key="good-key")
    assert status == 200
    assert body["event"]["pathParameters"] == {"item_id": "7"}
    assert fetch(f"{running.url}/items/7")[0] == 401


def test_a_busy_port_is_refused_before_anything_starts(busy_port: int) -> None:
    def never(url: str) -> Emulator:
        raise AssertionError("built the stack on a busy port")

    with pytest.raises(PortInUse) as refused:
        launch(never, region="eu-central-1", port=busy_port)
    assert refused.value.port == busy_port


def test_the_command_on_a_busy_port_exits_1_naming_the_port(busy_port: int, stub_template: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sam_emulator", str(stub_template), "--port", str(busy_port)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"port {busy_port}" in result.stderr


def test_the_command_refuses_a_missing_template(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sam_emulator", str(tmp_path / "template.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no template at" in result.stderr
