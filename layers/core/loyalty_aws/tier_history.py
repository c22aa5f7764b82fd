"""Tier history items in ``HistoryTable``: ``tier#<fixed-width at>#<order_id | review>``, newest first when read.

The time leads the key, so the table's own order is the history's order: an order placed at 01:00
and the nightly review at 02:00 of the same day read back in the order they happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from loyalty.tier_history import TierHistoryEntry
from loyalty_aws.codec import from_item, to_item
from loyalty_aws.due import sortable, timestamp
from loyalty_aws.ledger import decode_cursor, encode_cursor
from loyalty_aws.settings import Settings
from loyalty_aws.transactions import Transaction

PREFIX = "tier#"
_WHY = {"order": "upgrade on order {order_id}", "review": "nightly review of the rolling window"}


def history_key(entry: TierHistoryEntry) -> str:
    return f"{PREFIX}{sortable(entry.at)}#{entry.order_id or 'review'}"


def put_tier_change(write: Transaction, config: Settings, customer_id: str, entry: TierHistoryEntry) -> None:
    """Add the entry to the commit or review transaction; the same change written twice fails its condition."""
    write.put(
        "tier history",
        config.history_table,
        to_item(
            {
                "customer_id": customer_id,
                "event_key": history_key(entry),
                "kind": "tier_change",
                **entry.model_dump(exclude={"at"}),
                "at": timestamp(entry.at),
                "why": _WHY[entry.reason].format(order_id=entry.order_id),
            }
        ),
        ConditionExpression="attribute_not_exists(event_key)",
    )


def tier_change_from_item(item: Mapping[str, Any]) -> TierHistoryEntry:
    values = from_item(item)
    return TierHistoryEntry.model_validate(
        {name: values.get(name) for name in TierHistoryEntry.model_fields} | {"at": values["at"]}
    )


@dataclass(frozen=True)
class HistoryPage:
    entries: list[TierHistoryEntry]
    next_cursor: str | None


def read_page(client: Any, config: Settings, customer_id: str, *, limit: int, cursor: str | None) -> HistoryPage:
    request: dict[str, Any] = {
        "TableName": config.history_table,
        "KeyConditionExpression": "customer_id = :customer AND begins_with(event_key, :tier)",
        "ExpressionAttributeValues": to_item({":customer": customer_id, ":tier": PREFIX}),
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if cursor:
        request["ExclusiveStartKey"] = decode_cursor(cursor, customer_id, sort_key="event_key", prefix=PREFIX)
    response = client.query(**request)
    last = response.get("LastEvaluatedKey")
    return HistoryPage(
        entries=[tier_change_from_item(item) for item in response.get("Items", [])],
        next_cursor=encode_cursor(last) if last else None,
    )
