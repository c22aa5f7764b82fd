"""The report indexes: what the KPIs count and the orders a backtest replays, read by day.

Orders, ledger entries, survey answers and referral codes each carry ``day_shard``; a window is read
partition by partition (days x shards, in parallel). The per-account figures read the active accounts
(at most one per order in the window) and the orders they placed after the window, and the liability
and the tier counts come from the sharded counters of ``StatsTable``. Nothing is ever scanned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from loyalty.commit import OrderRecord
from loyalty.order import Order
from loyalty.returns import remaining_order
from loyalty_aws import stats
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import from_item, key
from loyalty_aws.daily import DAY_SHARD, day_partitions
from loyalty_aws.orders import order_from_item
from loyalty_service.ports import AccountTotals

ORDERS_BY_DAY = "OrdersByDayIndex"
LEDGER_BY_DAY = "LedgerByDayIndex"
SURVEYS_BY_DAY = "SurveysByDayIndex"
REFERRAL_CODES_BY_DAY = "ReferralCodesByDayIndex"
CUSTOMER_ORDERS = "CustomerOrdersIndex"
READERS = 8
BATCH_GET_LIMIT = 100


class DynamoKpiStore(DynamoAdapter):
    def orders_placed(self, start: date, end: date) -> list[OrderRecord]:
        """Every order placed from ``start`` to ``end`` (UTC days, both included), in (placed_at, order_id) order."""
        items = self._partitions(self.config.orders_table, ORDERS_BY_DAY, start, end)
        records = [order_from_item(item) for item in items]
        return sorted(records, key=lambda record: (record.placed_at, record.order_id))

    def account_totals(self, customer_ids: Iterable[str]) -> dict[str, AccountTotals]:
        ids = sorted(set(customer_ids))
        found: dict[str, AccountTotals] = {}
        table = self.config.accounts_table
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            request = {
                table: {
                    "Keys": [key(customer_id=customer_id) for customer_id in ids[start : start + BATCH_GET_LIMIT]],
                    "ProjectionExpression": "customer_id, standing_orders, lifetime_spend",
                }
            }
            for item in self.batch_get(request).get(table, []):
                values = from_item(item)
                found[values["customer_id"]] = AccountTotals(
                    standing_orders=values.get("standing_orders", 0),
                    lifetime_spend=Decimal(values.get("lifetime_spend", 0)),
                )
        return found

    def orders_after(self, customer_ids: Iterable[str], day: date) -> dict[str, list[OrderRecord]]:
        """Each account's orders placed on days after ``day`` (what its totals of today hold beyond a past window).

        One query per account, run in parallel: the accounts are those active in the window.
        """
        ids = sorted(set(customer_ids))
        with ThreadPoolExecutor(max_workers=READERS) as pool:
            return dict(zip(ids, pool.map(lambda customer_id: self._orders_after(customer_id, day), ids), strict=True))

    def _orders_after(self, customer_id: str, day: date) -> list[OrderRecord]:
        paginator = self.client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.config.orders_table,
            IndexName=CUSTOMER_ORDERS,
            # Every time of a later day sorts after that day's date alone: "2026-12-01T..." > "2026-12-01".
            KeyConditionExpression="customer_id = :customer AND placed_at >= :next_day",
            ExpressionAttributeValues={
                ":customer": {"S": customer_id},
                ":next_day": {"S": (day + timedelta(days=1)).isoformat()},
            },
        )
        order_ids = [item["order_id"]["S"] for page in pages for item in page.get("Items", [])]
        table = self.config.orders_table
        records: list[OrderRecord] = []
        for start in range(0, len(order_ids), BATCH_GET_LIMIT):
            keys = [key(order_id=order_id) for order_id in order_ids[start : start + BATCH_GET_LIMIT]]
            records.extend(order_from_item(item) for item in self.batch_get({table: {"Keys": keys}}).get(table, []))
        return records

    def ledger_points(self, start: date, end: date) -> dict[str, int]:
        totals: Counter[str] = Counter()
        for item in self._partitions(self.config.ledger_table, LEDGER_BY_DAY, start, end):
            values = from_item(item)
            totals[values["kind"]] += values["points"]
        return dict(totals)

    def nps_scores(self, start: date, end: date) -> list[int]:
        return [
            from_item(item)["score"] for item in self._partitions(self.config.surveys_table, SURVEYS_BY_DAY, start, end)
        ]

    def referral_codes_created(self, start: date, end: date) -> int:
        return sum(1 for _ in self._partitions(self.config.codes_table, REFERRAL_CODES_BY_DAY, start, end))

    def points_liability(self) -> int:
        return stats.points_liability(self.client, self.config)

    def accounts_per_tier(self) -> dict[str, int]:
        return stats.accounts_per_tier(self.client, self.config)

    def _partitions(self, table: str, index: str, start: date, end: date) -> Iterator[dict[str, Any]]:
        """Every item of the index dated from ``start`` to ``end``, the partitions read in parallel."""
        partitions = list(day_partitions(start, end, self.config.report_shards))
        with ThreadPoolExecutor(max_workers=READERS) as pool:
            for items in pool.map(lambda partition: self._partition(table, index, partition), partitions):
                yield from items

    def _partition(self, table: str, index: str, partition: str) -> list[dict[str, Any]]:
        return [
            item for page in partition_pages(self.client, table, index, partition) for item in page.get("Items", [])
        ]


class DynamoOrderArchive(DynamoAdapter):
    """The stored orders by the day they were placed: what a backtest replays (through the AWS API)."""

    def count_placed(self, start: date, end: date) -> int:
        return sum(_count(self.client, self.config.orders_table, partition) for partition in self._days(start, end))

    def standing_orders(self, start: date, end: date) -> list[Order]:
        """Every standing order placed from ``start`` to ``end`` that kept its body, less its returns."""
        records = DynamoKpiStore(self.client, self.config).orders_placed(start, end)
        standing = (remaining_order(record) for record in records if record.status == "committed")
        return [order for order in standing if order is not None]

    def _days(self, start: date, end: date) -> Iterator[str]:
        return day_partitions(start, end, self.config.report_shards)


def partition_pages(client: Any, table: str, index: str, partition: str, **options: Any) -> Iterator[dict[str, Any]]:
    """The pages of one day partition of a report index (``options``: e.g. ``Select="COUNT"``)."""
    paginator = client.get_paginator("query")
    return iter(
        paginator.paginate(
            TableName=table,
            IndexName=index,
            KeyConditionExpression="#day = :day",
            ExpressionAttributeNames={"#day": DAY_SHARD},
            ExpressionAttributeValues={":day": {"S": partition}},
            **options,
        )
    )


def _count(client: Any, table: str, partition: str) -> int:
    pages = partition_pages(client, table, ORDERS_BY_DAY, partition, Select="COUNT")
    return sum(page.get("Count", 0) for page in pages)
