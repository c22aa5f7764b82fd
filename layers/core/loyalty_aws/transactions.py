"""One ``TransactWriteItems`` per command, and what its cancellation reasons mean for the caller."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from loyalty.errors import ItemTooLarge
from loyalty_service.ports import StaleState

MAX_ITEMS = 100
"""DynamoDB's limit on the items of one transaction."""

_SAME_TOKEN_ELSEWHERE = frozenset({"IdempotentParameterMismatchException", "TransactionInProgressException"})
"""Another request wrote (or is writing) the same command with its own items: read again and retry."""


def too_large(error: ClientError) -> bool:
    """Whether DynamoDB refused a write for an item past 400 KB.

    A Put of such an item is refused up front (``ValidationException``); an Update that would grow
    one past it cancels the transaction with a ``ValidationError`` reason. Both name the item size.
    """
    response = error.response
    if response["Error"]["Code"] == "ValidationException":
        return "item size" in response["Error"].get("Message", "").lower()
    reasons = response.get("CancellationReasons") or []
    return any(
        reason.get("Code") == "ValidationError" and "size" in reason.get("Message", "").lower() for reason in reasons
    )


def request_token(*parts: object) -> str:
    """A ``ClientRequestToken`` for the command ``parts`` name (at most 36 characters, as DynamoDB wants).

    DynamoDB answers a TransactWriteItems repeated with the same token and the same items (within
    ten minutes) as a success without writing again. Derived from the command and the state it was
    decided on (not random), a retry of a write that timed out after it was in fact applied is
    recognised as that same write, where a fresh attempt would collide with it.
    """
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:36]


@dataclass
class Transaction:
    """Writes labelled with what they stand for, so a failed condition can be named."""

    items: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    counters: dict[tuple[str, str, str], tuple[str, int]] = field(default_factory=dict)

    def put(self, label: str, table: str, item: dict[str, Any], **condition: Any) -> None:
        self._add(label, {"Put": {"TableName": table, "Item": item, **condition}})

    def update(self, label: str, table: str, key: dict[str, Any], expression: str, **rest: Any) -> None:
        self._add(label, {"Update": {"TableName": table, "Key": key, "UpdateExpression": expression, **rest}})

    def add_to(self, label: str, table: str, key: dict[str, Any], attribute: str, amount: int) -> None:
        """Add to a counter item. Additions to one item are summed into one update at write time:
        a transaction may touch an item only once, and an account and its referrer can share a counter."""
        slot = (table, json.dumps(key, sort_keys=True), attribute)
        label_, total = self.counters.get(slot, (label, 0))
        self.counters[slot] = (label_, total + amount)

    def _add(self, label: str, operation: dict[str, Any]) -> None:
        self.items.append(operation)
        self.labels.append(label)

    def _flush_counters(self) -> None:
        for (table, key, attribute), (label, total) in self.counters.items():
            if total:
                self.update(
                    label,
                    table,
                    json.loads(key),
                    "ADD #counter :amount",
                    ExpressionAttributeNames={"#counter": attribute},
                    ExpressionAttributeValues={":amount": {"N": str(total)}},
                )
        self.counters.clear()

    def write(
        self,
        client: Any,
        *,
        on_conflict: Callable[[list[str]], Exception | None] | None = None,
        token: str | None = None,
    ) -> None:
        """Write all or nothing. A failed condition raises what ``on_conflict`` makes of the failed labels,
        or ``StaleState``; a transaction that collided with another is ``StaleState`` too (retry).

        ``token`` (see ``request_token``) makes the SDK's retries of this write idempotent."""
        self._flush_counters()
        if len(self.items) > MAX_ITEMS:
            raise ValueError(f"a transaction holds at most {MAX_ITEMS} items, not {len(self.items)}")
        request: dict[str, Any] = {"TransactItems": self.items}
        if token is not None:
            request["ClientRequestToken"] = token
        try:
            client.transact_write_items(**request)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if too_large(error):
                raise ItemTooLarge from error
            if code in _SAME_TOKEN_ELSEWHERE:
                raise StaleState(f"the same command is being written by another request ({code})") from error
            if code != "TransactionCanceledException":
                raise
            failed = list(self._failed(error))
            mapped = on_conflict(failed) if on_conflict else None
            raise (mapped or StaleState(f"transaction cancelled: {', '.join(failed) or 'conflict'}")) from error

    def _failed(self, error: ClientError) -> Iterable[str]:
        reasons = error.response.get("CancellationReasons") or []
        for label, reason in zip(self.labels, reasons, strict=False):
            if reason.get("Code") not in (None, "None"):
                yield f"{label}:{reason['Code']}"
