"""``python -m tests.soak.item_growth [--days D] 0 400 1000 3000``: an account item's size and a commit's time.

Every request reads and writes the whole account item, and its lots and volume buckets are most of
it. A wallet drops the lots it empties and holds at most ``MOST_LOTS`` (``loyalty.wallet``), and a
bucket is kept per active day of the tier window; this measures what those bound: for each count N,
one account is given N lots with points left besides the one its first order earned (an account that
earned N times within the points' lifetime and never spent) and, with ``--days D``, a volume bucket
on each of the D days before its orders' (an account that ordered every day), then 15 orders are
committed to it, one at a time, with no fault injected, in the soak's stack. Each ``item growth:``
line gives the lots and the item's size (as moto measures it against DynamoDB's 400 KB) before and
after, and the median commit time; a commit refused or failing prints its answer or its error.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from loyalty.tiers import VolumeBucket
from loyalty.wallet import Wallet
from loyalty_aws.accounts import account_from_item, item_from_record
from loyalty_aws.settings import settings
from tests.soak.faults import FaultRates
from tests.soak.run import REGION, soak_stack
from tests.support.events import api_event
from tests.support.lambdas import call, load_function

COMMITS = 15


def _order(order_id: str, customer_id: str) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "placed_at": "2026-06-10T10:00:00Z",
        "currency": "EUR",
        "lines": [
            {"sku": "VALVE-20", "quantity": 3, "unit_price": "20.50", "category": "valves"},
            {"sku": "BOLT-M8", "quantity": 5, "unit_price": "5.95", "category": "parts"},
        ],
    }


def main(counts: list[int], days: int = 0) -> None:
    with soak_stack(1, FaultRates(0, 0, 0)) as (admin, _):
        orders = load_function("functions/orders")
        config = settings()
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(config.accounts_table)
        serial = 0

        def commit(customer_id: str) -> float:
            nonlocal serial
            serial += 1
            started = time.perf_counter()
            try:
                response = call(orders, api_event("orders-commit", body=_order(f"SO-G-{serial}", customer_id)))
            except ClientError as error:  # out of the handler: API Gateway answers 502 to the storefront
                print(f"\nitem growth: order {serial} raised {error}")
                return time.perf_counter() - started
            seconds = time.perf_counter() - started
            if response.status != 201:
                print(f"\nitem growth: order {serial} answered {response.status} {json.dumps(response.body)}")
            return seconds

        for count in counts:
            customer_id = f"G{count}"
            commit(customer_id)
            key = {"customer_id": {"S": customer_id}}
            item = admin.get_item(TableName=config.accounts_table, Key=key, ConsistentRead=True)["Item"]
            record = account_from_item(item, customer_id)
            earned = record.account.wallet.lots[0]
            held = tuple(
                earned.model_copy(
                    update={
                        "lot_id": f"SO-{number % 8}-{number}",
                        "order_id": f"SO-{number % 8}-{number}",
                        "earned_at": earned.earned_at - timedelta(minutes=number + 1),
                        "expires_at": earned.expires_at - timedelta(minutes=number + 1) if earned.expires_at else None,
                    }
                )
                for number in range(count)
            )
            daily = tuple(
                VolumeBucket(day=earned.earned_at.date() - timedelta(days=day), items=30, spend=Decimal("812.50"))
                for day in range(days, 0, -1)
            )
            account = record.account.model_copy(
                update={"wallet": Wallet(lots=(*held, earned)), "buckets": (*daily, *record.account.buckets)}
            )
            grown = dataclasses.replace(record, account=account)
            admin.put_item(
                TableName=config.accounts_table,
                Item=item_from_record(grown, config.due_shards, version=record.version + 1),
            )
            size = table.get_item(DynamoType({"S": customer_id})).size()
            seconds = [commit(customer_id) for _ in range(COMMITS)]
            median = 1000 * statistics.median(seconds)
            item = admin.get_item(TableName=config.accounts_table, Key=key, ConsistentRead=True)["Item"]
            lots_after = len(account_from_item(item, customer_id).account.wallet.lots)
            size_after = table.get_item(DynamoType({"S": customer_id})).size()
            print(
                f"\nitem growth: {count + 1} lots, {len(account.buckets)} day buckets, item {size} bytes; "
                f"after {COMMITS} orders {lots_after} lots, item {size_after} bytes; "
                f"commit {median:.0f} ms (median of {COMMITS})"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[0, 400, 1000, 3000], help="lots to give each account")
    parser.add_argument("--days", type=int, default=0, help="days before its orders' with a volume bucket")
    arguments = parser.parse_args()
    main(arguments.counts, arguments.days)
