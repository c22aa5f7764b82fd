"""Make moto's DynamoDB as atomic as DynamoDB under concurrent requests.

moto runs each request in the caller's thread, and its ``TransactWriteItems`` backs up whole
tables, writes, and restores the backup on a failed condition: two transactions running at once
can both pass their conditions, or one can restore over the other's write. DynamoDB executes each
request atomically, so the emulation serialises requests into the DynamoDB backend: one at a time,
like the isolation the real service gives to conditional writes and transactions.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

_LOCK = threading.RLock()
_MARK = "_serialised_by_sam_emulator"


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    setattr(call, _MARK, True)
    return call


def serialise_dynamodb() -> None:
    """Wrap every public operation of moto's DynamoDB backend in one lock (idempotent)."""
    for name, member in list(vars(DynamoDBBackend).items()):
        if name.startswith("_") or not callable(member) or getattr(member, _MARK, False):
            continue
        setattr(DynamoDBBackend, name, _serialised(member))
