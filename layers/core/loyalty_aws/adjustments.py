"""Adjustments: the record lives in ``HistoryTable`` under its account (``adjustment#<adjustment_id>``).

One ``BatchGetItem`` reads the account, an earlier record of the same adjustment and the program
timeline; one ``TransactWriteItems`` writes the record (not existing), the account (its version),
the ledger entry and the liability counter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loyalty.adjustments import Adjusted, AdjustmentRecord
from loyalty_aws.accounts import account_from_item, put_account
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.due import timestamp
from loyalty_aws.ledger import put_ledger
from loyalty_aws.programs import timeline_from_item, timeline_key
from loyalty_aws.transactions import Transaction, request_token
from loyalty_service.ports import AccountChange, AdjustmentAlreadyMade, AdjustmentContext

RECORD = "adjustment"


def record_key(customer_id: str, adjustment_id: str) -> dict[str, Any]:
    return key(customer_id=customer_id, event_key=f"{RECORD}#{adjustment_id}")


def record_item(record: AdjustmentRecord) -> dict[str, Any]:
    return {
        **record_key(record.customer_id, record.adjustment_id),
        **to_item(
            {
                "kind": RECORD,
                "at": timestamp(record.at),
                "fingerprint": record.fingerprint,
                "record": record.model_dump_json(),
            }
        ),
    }


def record_from_item(item: Mapping[str, Any]) -> AdjustmentRecord:
    return AdjustmentRecord.model_validate_json(from_item(item)["record"])


class DynamoAdjustmentStore(DynamoAdapter):
    def load_for_adjustment(self, customer_id: str, adjustment_id: str) -> AdjustmentContext:
        config = self.config
        found = self.batch_get(
            {
                config.accounts_table: {"Keys": [key(customer_id=customer_id)], "ConsistentRead": True},
                config.history_table: {"Keys": [record_key(customer_id, adjustment_id)], "ConsistentRead": True},
                config.programs_table: {"Keys": [timeline_key()], "ConsistentRead": True},
            }
        )
        accounts = found.get(config.accounts_table, [])
        records = found.get(config.history_table, [])
        timelines = found.get(config.programs_table, [])
        return AdjustmentContext(
            account=account_from_item(accounts[0] if accounts else None, customer_id),
            record=record_from_item(records[0]) if records else None,
            timeline=timeline_from_item(timelines[0] if timelines else None),
        )

    def save_adjustment(self, adjusted: Adjusted, account: AccountChange) -> None:
        record = adjusted.record
        write = Transaction()
        write.put(
            RECORD,
            self.config.history_table,
            record_item(record),
            ConditionExpression="attribute_not_exists(event_key)",
        )
        put_account(write, self.config, "account", account)
        put_ledger(write, self.config, [adjusted.entry])
        token = request_token("adjust", record.customer_id, record.adjustment_id, account.before.version)
        write.write(self.client, on_conflict=_already_made, token=token)


def _already_made(failed: list[str]) -> Exception | None:
    return AdjustmentAlreadyMade() if f"{RECORD}:ConditionalCheckFailed" in failed else None
