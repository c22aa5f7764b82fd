"""Faults DynamoDB gives a client under load, injected on the SDK's ``before-send`` event of a client.

Each fault is the service's own answer, so the SDK and the adapters take exactly the paths they take
in production: throttling (``ProvisionedThroughputExceededException``, ``ThrottlingException``) is
retried by the SDK; ``TransactionCanceledException`` with ``TransactionConflict`` reaches the adapter,
which reads again and decides again; a read timeout *after* a TransactWriteItems was applied makes
the SDK send the same write again, with the same ``ClientRequestToken``.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.retries.standard import ExponentialBackoff

_PREFIX = "DynamoDB_20120810."
_NOWHERE = "http://refused.invalid/"
_ERROR_TYPE = "com.amazonaws.dynamodb.v20120810#"


@dataclass(frozen=True)
class FaultRates:
    """The chance, per request sent, of each fault (per TransactWriteItems for the last two)."""

    throttling: float = 0.02
    conflict: float = 0.03
    timeout_after_write: float = 0.01


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _error(request: Any, status: int, error_type: str, **extra: Any) -> AWSResponse:
    body = json.dumps({"__type": _ERROR_TYPE + error_type, "message": "injected", **extra}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"}
    return AWSResponse(request.url, status, headers, _Raw(body))


class FaultInjector:
    """Registered on one DynamoDB client; counts what it injected and every request and call it saw."""

    def __init__(self, rates: FaultRates, seed: int) -> None:
        self.rates = rates
        self.injected: Counter[str] = Counter()
        self.sent = 0
        self.calls = 0
        self.armed = True
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._lost = threading.local()

    def register(self, client: Any) -> FaultInjector:
        """moto answers in a ``before-send`` handler, and every handler runs: a refusal is decided first and
        sends the request where moto does not listen; a lost answer is raised last, after moto wrote."""
        client.meta.events.register_first("before-call.dynamodb", self._count_call)
        client.meta.events.register_first("before-send.dynamodb", self._before_send)
        client.meta.events.register_last("before-send.dynamodb", self._after_write)
        return self

    @property
    def retries(self) -> int:
        """Requests the SDK sent again (after a throttle or a timeout)."""
        return self.sent - self.calls

    def _count_call(self, **_: Any) -> None:
        with self._lock:
            self.calls += 1

    def _draw(self) -> float:
        with self._lock:
            self.sent += 1
            return self._random.random()

    def _note(self, fault: str) -> None:
        with self._lock:
            self.injected[fault] += 1

    def _before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else target).removeprefix(_PREFIX)
        draw = self._draw()
        if not self.armed:
            return None
        rates = self.rates
        if draw < rates.throttling:
            fault = "ThrottlingException" if draw < rates.throttling / 2 else "ProvisionedThroughputExceededException"
            self._note(fault)
            return self._refuse(request, _error(request, 400, fault))
        if operation != "TransactWriteItems":
            return None
        draw -= rates.throttling
        if draw < rates.conflict:
            items = json.loads(request.body)["TransactItems"]
            reasons = [{"Code": "TransactionConflict", "Message": "injected"}] + [{"Code": "None"}] * (len(items) - 1)
            self._note("TransactionConflict")
            return self._refuse(
                request, _error(request, 400, "TransactionCanceledException", CancellationReasons=reasons)
            )
        draw -= rates.conflict
        self._lost.answer = draw < rates.timeout_after_write
        return None

    def _refuse(self, request: Any, response: AWSResponse) -> AWSResponse:
        request.url = _NOWHERE  # moto's handler runs too: give it nothing it recognises
        return response

    def _after_write(self, request: Any, **_: Any) -> None:
        if getattr(self._lost, "answer", False):
            self._lost.answer = False
            self._note("ReadTimeout after write")
            raise ReadTimeoutError(endpoint_url=request.url)


@contextmanager
def short_backoff(scale: float = 0.01) -> Iterator[None]:
    """The SDK's retry delays scaled down: the soak measures what retries do, not how long they sleep."""
    delay = ExponentialBackoff.delay_amount

    def shortened(self: ExponentialBackoff, context: Any) -> float:
        return float(delay(self, context)) * scale

    with mock.patch.object(ExponentialBackoff, "delay_amount", shortened):
        yield
