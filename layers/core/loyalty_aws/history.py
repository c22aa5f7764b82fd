"""The history store: which order ids exist, and one transaction per account for the orders imported into it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from loyalty.commit import OrderRecord
from loyalty_aws.accounts import account_from_item, put_account
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import key
from loyalty_aws.orders import record_item
from loyalty_aws.transactions import Transaction, request_token
from loyalty_service.ports import AccountChange, AccountRecord, OrderAlreadyCommitted

BATCH_GET_LIMIT = 100


class DynamoHistoryStore(DynamoAdapter):
    def existing_orders(self, order_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(order_ids))
        table = self.config.orders_table
        found: set[str] = set()
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            request = {
                table: {
                    "Keys": [key(order_id=order_id) for order_id in ids[start : start + BATCH_GET_LIMIT]],
                    "ProjectionExpression": "order_id",
                    "ConsistentRead": True,
                }
            }
            found.update(item["order_id"]["S"] for item in self.batch_get(request).get(table, []))
        return found

    def load_account(self, customer_id: str) -> AccountRecord:
        response = self.client.get_item(
            TableName=self.config.accounts_table, Key=key(customer_id=customer_id), ConsistentRead=True
        )
        return account_from_item(response.get("Item"), customer_id)

    def save_import(self, records: Sequence[OrderRecord], account: AccountChange) -> None:
        """The records (each new: ``attribute_not_exists``) and the account (the version read), all or nothing."""
        write = Transaction()
        for record in records:
            write.put(
                "order",
                self.config.orders_table,
                record_item(record, self.config.report_shards),
                ConditionExpression="attribute_not_exists(order_id)",
            )
        put_account(write, self.config, "account", account)
        token = request_token(
            "import", account.account.customer_id, account.before.version, *(record.order_id for record in records)
        )
        write.write(self.client, on_conflict=_already_stored, token=token)


def _already_stored(failed: list[str]) -> Exception | None:
    return OrderAlreadyCommitted() if "order:ConditionalCheckFailed" in failed else None
