"""The reconciliation check: for every account, balance == sum(ledger) and the lots hold the balance."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
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
    return reconciled(
        _all(client, "scan", TableName=config.accounts_table), _all(client, "scan", TableName=config.ledger_table)
    )


def reconciled(accounts: Iterable[dict[str, Any]], ledger: Iterable[dict[str, Any]]) -> dict[str, int]:
    """``reconcile`` of the items of the accounts and ledger tables, however they were read."""
    ledger_sums: Counter[str] = Counter()
    for entry in ledger:
        fields = from_item(entry)
        ledger_sums[fields["customer_id"]] += fields["points"]
    balances = {}
    for item in accounts:
        record = account_from_item(item, "")
        customer_id = record.account.customer_id
        stored_balance = from_item(item)["balance"]
        ledger_sum = ledger_sums[customer_id]
        assert stored_balance == ledger_sum, f"{customer_id}: balance {stored_balance} != ledger {ledger_sum}"
        assert stored_balance == record.account.wallet.balance, f"{customer_id}: lots do not hold the balance"
        balances[customer_id] = stored_balance
    return balances
