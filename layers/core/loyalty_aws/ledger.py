"""Ledger items: append-only, one per points change, newest first when read."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from loyalty.errors import FieldError, InvalidInput
from loyalty.ledger import LedgerEntry
from loyalty_aws.accounts import parse_time
from loyalty_aws.codec import from_item, to_item
from loyalty_aws.daily import DAY_SHARD, day_shard
from loyalty_aws.due import sortable, timestamp
from loyalty_aws.settings import Settings
from loyalty_aws.transactions import Transaction


def entry_key(entry: LedgerEntry) -> str:
    return f"{sortable(entry.at)}#{entry.entry_id}"


def ledger_item(entry: LedgerEntry, shards: int) -> dict[str, Any]:
    """The entry; ``day_shard`` (its date) places it in ``LedgerByDayIndex`` for the KPIs."""
    return to_item(
        {
            **entry.model_dump(exclude={"at"}),
            "entry_key": entry_key(entry),
            "at": timestamp(entry.at),
            DAY_SHARD: day_shard(entry.at, entry.customer_id, shards),
        }
    )


def put_ledger(write: Transaction, config: Settings, entries: Iterable[LedgerEntry]) -> None:
    """Append entries; a retried write of the same entry fails its condition instead of doubling it."""
    for entry in entries:
        write.put(
            "ledger",
            config.ledger_table,
            ledger_item(entry, config.report_shards),
            ConditionExpression="attribute_not_exists(entry_key)",
        )


def entry_from_item(item: Mapping[str, Any]) -> LedgerEntry:
    values = from_item(item)
    for index_key in ("entry_key", DAY_SHARD):
        values.pop(index_key, None)
    return LedgerEntry.model_validate({**values, "at": parse_time(values["at"])})


@dataclass(frozen=True)
class LedgerPage:
    entries: list[LedgerEntry]
    next_cursor: str | None


def encode_cursor(last_key: Mapping[str, Any]) -> str:
    plain = {name: from_item({name: value})[name] for name, value in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, customer_id: str, *, sort_key: str = "entry_key", prefix: str = "") -> dict[str, Any]:
    """The key a page of ``customer_id``'s items (sorted by ``sort_key``, starting with ``prefix``) ended at."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        plain = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position = plain.get(sort_key)
        if plain.get("customer_id") != customer_id or not isinstance(position, str) or not position.startswith(prefix):
            raise ValueError("cursor of another list")
    except (ValueError, TypeError, AttributeError) as error:
        raise InvalidInput(
            "the cursor is not valid",
            [FieldError(field="cursor", message="not a cursor of this list", type="cursor")],
        ) from error
    return to_item({"customer_id": customer_id, sort_key: position})


def read_page(client: Any, table: str, customer_id: str, *, limit: int, cursor: str | None) -> LedgerPage:
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "customer_id = :customer",
        "ExpressionAttributeValues": {":customer": {"S": customer_id}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if cursor:
        request["ExclusiveStartKey"] = decode_cursor(cursor, customer_id)
    response = client.query(**request)
    last = response.get("LastEvaluatedKey")
    return LedgerPage(
        entries=[entry_from_item(item) for item in response.get("Items", [])],
        next_cursor=encode_cursor(last) if last else None,
    )
