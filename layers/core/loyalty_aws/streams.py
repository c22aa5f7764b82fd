"""DynamoDB stream records -> the core's ``Change``: which table (by the record's source ARN), plain images."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from loyalty.events import Change, TableRole
from loyalty_aws.codec import from_item
from loyalty_aws.settings import Settings


class UnknownTable(ValueError):
    """A stream record from a table the publisher does not map."""


def table_roles(config: Settings) -> dict[str, TableRole]:
    """Physical table name -> its role, from the environment template.yaml gives every function."""
    return {
        config.orders_table: "orders",
        config.ledger_table: "ledger",
        config.codes_table: "codes",
        config.claims_table: "claims",
        config.history_table: "history",
        config.accounts_table: "accounts",
    }


def table_of(source_arn: str) -> str:
    """``arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`` -> ``<name>``."""
    return source_arn.split(":table/", 1)[1].split("/", 1)[0]


def change_of(record: Mapping[str, Any], roles: Mapping[str, TableRole]) -> Change:
    table = table_of(str(record["eventSourceARN"]))
    if table not in roles:
        raise UnknownTable(f"no events are mapped from table {table!r}")
    stream = record["dynamodb"]
    created = stream.get("ApproximateCreationDateTime")
    recorded_at = datetime.fromtimestamp(float(created), UTC) if created is not None else datetime.now(UTC)
    return Change(
        table=roles[table],
        operation=record["eventName"],
        keys=from_item(stream.get("Keys") or {}),
        old=from_item(stream["OldImage"]) if "OldImage" in stream else None,
        new=from_item(stream["NewImage"]) if "NewImage" in stream else None,
        recorded_at=recorded_at,
    )
