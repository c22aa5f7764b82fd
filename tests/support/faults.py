"""Faults and service behaviour moto does not have, injected at the HTTP layer of the SDK.

``request_tokens`` gives moto DynamoDB's ``ClientRequestToken`` semantics for TransactWriteItems: the same
token with the same items is a success that writes nothing; the same token with other items is an
``IdempotentParameterMismatchException``. ``timeout_after_write`` lets a TransactWriteItems reach the
table, then fails the answer with a read timeout, so the SDK retries a write that happened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from botocore.exceptions import ReadTimeoutError
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler

_TARGET = "DynamoDB_20120810.TransactWriteItems"


@contextmanager
def request_tokens() -> Iterator[dict[str, str]]:
    """While open, moto honours ``ClientRequestToken``; yields the tokens seen (token -> digest of the items).

    A digest, not the items: a soak sends a hundred thousand transactions, each with a whole account item.
    """
    seen: dict[str, str] = {}
    original = DynamoHandler.transact_write_items

    def transact_write_items(handler: DynamoHandler) -> Any:
        token = handler.body.get("ClientRequestToken")
        items = hashlib.sha256(json.dumps(handler.body["TransactItems"], sort_keys=True).encode()).hexdigest()
        if token is not None and token in seen:
            if seen[token] != items:
                raise JsonRESTError("IdempotentParameterMismatchException", "the token was used with other items")
            return _success()
        result = original(handler)
        if token is not None:
            seen[token] = items
        return result

    with mock.patch.object(DynamoHandler, "transact_write_items", transact_write_items):
        yield seen


def _success() -> Any:
    from moto.core.responses import ActionResult

    return ActionResult({})


class TimeoutAfterWrite:
    """Fails the answer of the next ``count`` TransactWriteItems calls after moto applied them."""

    def __init__(self, count: int) -> None:
        self.left = count
        self.calls = 0
        self.tokens: list[str | None] = []

    def __call__(self, request: Any, **_: Any) -> None:
        if request.headers.get("X-Amz-Target", b"") not in (_TARGET, _TARGET.encode()):
            return
        self.calls += 1
        self.tokens.append(json.loads(request.body).get("ClientRequestToken"))
        if self.left > 0:
            self.left -= 1
            raise ReadTimeoutError(endpoint_url=request.url)


def timeout_after_write(client: Any, count: int = 1) -> TimeoutAfterWrite:
    """Register on ``client``: ``before-send`` handlers run in order, moto's first, so this one sees the
    request after moto wrote it, and its exception is what the SDK's retry logic receives."""
    fault = TimeoutAfterWrite(count)
    client.meta.events.register_last("before-send.dynamodb.TransactWriteItems", fault)
    return fault
