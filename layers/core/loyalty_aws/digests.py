"""Storage for the digest job: what happened since the last digest, and the per-day send claim."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from loyalty.codes import DiscountCode, ReferralCode
from loyalty.digest import TierChangeRecord
from loyalty_aws.accounts import instant
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.codes import code_from_item
from loyalty_aws.due import sortable, timestamp
from loyalty_aws.ledger import entry_from_item
from loyalty_aws.settings import Settings
from loyalty_service.digest_job import DigestMaterial
from loyalty_service.ports import AccountRecord


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
        moment = instant(values["at"])
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
            UpdateExpression="SET last_digest_at = :at, version = version + :one REMOVE digest_shard, digest_key",
            ConditionExpression="version = :read",
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        client.update_item(
            TableName=config.accounts_table,
            Key=key(customer_id=customer_id),
            UpdateExpression="SET last_digest_at = :at, version = version + :one",
            ConditionExpression="attribute_exists(customer_id)",
            ExpressionAttributeValues={name: value for name, value in values.items() if name != ":read"},
        )
