"""Storage for the digest job: what happened since the last digest, and the per-day send claim."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from loyalty.codes import DiscountCode, ReferralCode
from loyalty.digest import TierChangeRecord
from loyalty.types import parse_instant
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.codes import code_from_item
from loyalty_aws.due import sortable, timestamp
from loyalty_aws.ledger import entry_from_item
from loyalty_aws.settings import Settings
from loyalty_service.ports import AccountRecord, DigestMaterial


def _query_all(client: Any, **request: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("query").paginate(**request):
        items.extend(page.get("Items", []))
    return items


def digest_material(
    client: Any, config: Settings, record: AccountRecord, since: datetime | None, at: datetime
) -> DigestMaterial:
    customer_id = record.account.customer_id
    lower = f"{sortable(since)}$" if since else " "
    entries = _query_all(
        client,
        TableName=config.ledger_table,
        KeyConditionExpression="customer_id = :customer AND entry_key BETWEEN :lower AND :upper",
        ExpressionAttributeValues=to_item({":customer": customer_id, ":lower": lower, ":upper": f"{sortable(at)}$"}),
    )
    entries.extend(_late_reversals(client, config, customer_id, record.cancels_to_tell, entries))
    owned = _query_all(
        client,
        TableName=config.codes_table,
        IndexName="OwnerIndex",
        KeyConditionExpression="owner_id = :customer",
        ExpressionAttributeValues=to_item({":customer": customer_id}),
    )
    codes = [code_from_item(item) for item in owned]
    referral = next(((code.code, code.referrals) for code in codes if isinstance(code, ReferralCode)), None)
    history = _query_all(
        client,
        TableName=config.history_table,
        KeyConditionExpression="customer_id = :customer AND begins_with(event_key, :tier)",
        ExpressionAttributeValues=to_item({":customer": customer_id, ":tier": "tier#"}),
    )
    changes = []
    for item in history:
        values = from_item(item)
        moment = parse_instant(values["at"])
        if (since is None or moment > since) and moment <= at:
            changes.append(
                TierChangeRecord(before=values["before"], after=values["after"], at=moment, why=values["why"])
            )
    return DigestMaterial(
        entries=[entry_from_item(item) for item in entries],
        codes=[code for code in codes if isinstance(code, DiscountCode) and code.status == "active"],
        referral=referral,
        tier_changes=changes,
    )


def _late_reversals(
    client: Any, config: Settings, customer_id: str, order_ids: tuple[str, ...], read: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The reversals of orders cancelled since the last digest that are dated before it (at their order)."""
    seen = {item["entry_key"]["S"] for item in read}
    found = []
    for order_id in order_ids:
        order = client.get_item(TableName=config.orders_table, Key=key(order_id=order_id), ConsistentRead=True)
        if "Item" not in order:
            continue
        placed_at = parse_instant(from_item(order["Item"])["placed_at"])
        prefix = f"{sortable(placed_at)}#{order_id}#reverse#"
        for item in _query_all(
            client,
            TableName=config.ledger_table,
            KeyConditionExpression="customer_id = :customer AND begins_with(entry_key, :prefix)",
            ExpressionAttributeValues=to_item({":customer": customer_id, ":prefix": prefix}),
        ):
            if item["entry_key"]["S"] not in seen:
                found.append(item)
    return found


def claim_digest(client: Any, config: Settings, customer_id: str, day: date, at: datetime) -> bool:
    try:
        client.put_item(
            TableName=config.history_table,
            Item=to_item(
                {
                    "customer_id": customer_id,
                    "event_key": f"digest#{day.isoformat()}",
                    "kind": "digest",
                    "at": timestamp(at),
                }
            ),
            ConditionExpression="attribute_not_exists(event_key)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release_digest(client: Any, config: Settings, customer_id: str, day: date) -> None:
    client.delete_item(
        TableName=config.history_table, Key=key(customer_id=customer_id, event_key=f"digest#{day.isoformat()}")
    )


def mark_digested(client: Any, config: Settings, record: AccountRecord, at: datetime) -> None:
    """Leave the digest index, unless the account changed meanwhile: then only move ``last_digest_at``
    (its newer activity keeps it in the index for the next run)."""
    customer_id = record.account.customer_id
    values = to_item({":at": timestamp(at), ":one": 1, ":read": record.version})
    try:
        client.update_item(
            TableName=config.accounts_table,
            Key=key(customer_id=customer_id),
            UpdateExpression=(
                "SET last_digest_at = :at, version = version + :one REMOVE digest_shard, digest_key, cancels_to_tell"
            ),
            ConditionExpression="version = :read",
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # Cancels are appended: the ones just told are the first of the list, later ones stay for the next digest.
        told = ", ".join(f"cancels_to_tell[{index}]" for index in range(len(record.cancels_to_tell)))
        client.update_item(
            TableName=config.accounts_table,
            Key=key(customer_id=customer_id),
            UpdateExpression="SET last_digest_at = :at, version = version + :one" + (f" REMOVE {told}" if told else ""),
            ConditionExpression="attribute_exists(customer_id)",
            ExpressionAttributeValues={name: value for name, value in values.items() if name != ":read"},
        )
