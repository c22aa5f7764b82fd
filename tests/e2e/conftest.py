"""The local stack in-process under moto's ``mock_aws``, driven through a WSGI test client (no sockets)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from werkzeug.datastructures import Headers
from werkzeug.test import Client

from local.cloudformation import TEMPLATE, Stack
from local.lambdas import environment
from local.stack import LocalStack
from tests.e2e.stubs import write_stub_stack

REGION = "eu-central-1"
STOREFRONT_KEY = "local-storefront-key"
ADMIN_KEY = "local-admin-key"


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: Headers
    text: str


class Http:
    """Requests to the local stack's WSGI app, as curl would send them."""

    def __init__(self, app: Any, key: str | None = None) -> None:
        self._client = Client(app)
        self.key = key

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        anonymous: bool = False,
        headers: dict[str, str] | None = None,
        data: bytes | str | None = None,
        content_type: str | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        key = None if anonymous else key or self.key
        if key is not None:
            sent["x-api-key"] = key
        if body is not None:
            data, content_type = json.dumps(body), "application/json"
        response = self._client.open(path, method=method, headers=sent, data=data, content_type=content_type)
        text = response.get_data(as_text=True)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return Reply(response.status_code, parsed, response.headers, text)

    def get(self, path: str, **options: Any) -> Reply:
        return self.request("GET", path, **options)

    def post(self, path: str, body: Any = None, **options: Any) -> Reply:
        return self.request("POST", path, body, **options)

    def put(self, path: str, body: Any = None, **options: Any) -> Reply:
        return self.request("PUT", path, body, **options)

    def delete(self, path: str, **options: Any) -> Reply:
        return self.request("DELETE", path, **options)


@contextmanager
def embedded(stack: Stack, **options: Any) -> Iterator[LocalStack]:
    """The local stack of ``stack`` against moto in this process (``mock_aws``), started and, at the end, stopped."""
    variables = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }
    unset = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN")
    with environment(variables, unset=unset), mock_aws():
        local = LocalStack(stack, **options).start()
        try:
            yield local
        finally:
            local.stop()


def project_stack(**overrides: str) -> Stack:
    return Stack.load(TEMPLATE, region=REGION, overrides={"PublicBaseUrl": "http://localhost", **overrides})


@pytest.fixture
def stub_template(tmp_path: Path) -> Path:
    return write_stub_stack(tmp_path)


@pytest.fixture
def stub(stub_template: Path) -> Iterator[LocalStack]:
    """The stub stack (tests/e2e/stubs.py): the gateway, jobs and outbox without the project's functions."""
    with embedded(Stack.load(stub_template, region=REGION), demo=False) as local:
        yield local


@pytest.fixture
def stub_http(stub: LocalStack) -> Http:
    return Http(stub, key="good-key")
