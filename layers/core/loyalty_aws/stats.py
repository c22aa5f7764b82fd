"""Running totals the KPIs read without touching every account: points liability and accounts per tier.

Kept in ``StatsTable`` as sharded counters, moved by the same transaction that changes an account's
balance or tier, so they are exact under retries: a write that is retried either happened once or
not at all. Shards spread the additions of concurrent commits over several items.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from loyalty_aws.codec import from_item, key
from loyalty_aws.due import shard
from loyalty_aws.settings import Settings
from loyalty_aws.transactions import Transaction
from loyalty_service.ports import AccountChange

LIABILITY = "liability"
"""Sum of the positive balances: attribute ``points``, part ``<shard>``."""
TIERS = "tiers"
"""Accounts holding each tier: attribute ``accounts``, part ``<tier>#<shard>``."""


def count_change(write: Transaction, config: Settings, change: AccountChange) -> None:
    """Move the counters by what ``change`` does to one account's positive balance and tier."""
    before, after = change.before.account, change.account
    part = shard(f"{after.customer_id}#{change.before.version}", config.stats_shards)
    owed = max(after.balance, 0) - max(before.balance, 0)
    if owed:
        write.add_to("liability", config.stats_table, key(stat=LIABILITY, part=part), "points", owed)
    if before.tier != after.tier:
        if before.tier is not None:
            write.add_to(
                "tier count", config.stats_table, key(stat=TIERS, part=f"{before.tier}#{part}"), "accounts", -1
            )
        if after.tier is not None:
            write.add_to("tier count", config.stats_table, key(stat=TIERS, part=f"{after.tier}#{part}"), "accounts", 1)


def points_liability(client: Any, config: Settings) -> int:
    """The points all accounts hold, negative balances counted as zero: one query over the shards."""
    return sum(from_item(item).get("points", 0) for item in _items(client, config, LIABILITY))


def accounts_per_tier(client: Any, config: Settings) -> dict[str, int]:
    counted: Counter[str] = Counter()
    for item in _items(client, config, TIERS):
        values = from_item(item)
        counted[values["part"].rsplit("#", 1)[0]] += values.get("accounts", 0)
    return dict(counted)


def _items(client: Any, config: Settings, stat: str) -> list[dict[str, Any]]:
    paginator = client.get_paginator("query")
    pages = paginator.paginate(
        TableName=config.stats_table,
        KeyConditionExpression="stat = :stat",
        ExpressionAttributeValues={":stat": {"S": stat}},
        ConsistentRead=True,
    )
    return [item for page in pages for item in page.get("Items", [])]
