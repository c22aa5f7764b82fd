"""The reconciliation check: for every account, balance == sum(ledger) and the lots hold the balance."""

from __future__ import annotations

from typing import Any

from loyalty_aws.accounts import account_from_item
from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings


def _all(client: Any, operation: str, **request: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**request):
        items.extend(page["Items"])
    return items


def reconcile(client: Any) -> dict[str, int]:
    """Every account's balance, after checking it against its ledger and its lots (test-only: it scans)."""
    config = settings()
    balances = {}
    for item in _all(client, "scan", TableName=config.accounts_table):
        record = account_from_item(item, "")
        customer_id = record.account.customer_id
        ledger = _all(
            client,
            "query",
            TableName=config.ledger_table,
            KeyConditionExpression="customer_id = :c",
            ExpressionAttributeValues={":c": {"S": customer_id}},
        )
        stored_balance = from_item(item)["balance"]
        ledger_sum = sum(from_item(entry)["points"] for entry in ledger)
        assert stored_balance == ledger_sum, f"{customer_id}: balance {stored_balance} != ledger {ledger_sum}"
        assert stored_balance == record.account.wallet.balance, f"{customer_id}: lots do not hold the balance"
        balances[customer_id] = stored_balance
    return balances
