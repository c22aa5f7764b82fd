"""The invariants, read from every table at the end (a test may scan) and from what the workers were answered."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from tests.integration.reconcile import reconciled
from tests.soak.workload import LIMITED_REWARD, REWARDS, Ledger


def stored(client: Any, table: str) -> list[dict[str, Any]]:
    """Every item of a table, in DynamoDB's wire format, read from moto's storage in one pass.

    Not a paginated Scan: moto answers each page by sorting the whole table and walking past every
    item of the pages before, so reading a table costs its items times its pages. After the full
    soak's 100,000 operations the checker had read a third of the ledger after ten minutes.
    """
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][client.meta.region_name]
    return [item.to_json()["Attributes"] for item in backend.get_table(table).all_items()]


def scan(client: Any, table: str) -> list[dict[str, Any]]:
    return [from_item(item) for item in stored(client, table)]


def snapshot(client: Any) -> dict[str, list[str]]:
    """Every item of every table, in a comparable form."""
    tables = client.list_tables()["TableNames"]
    return {
        table: sorted(json.dumps(item, sort_keys=True, default=str) for item in scan(client, table)) for table in tables
    }


def violations(client: Any, ledgers: list[Ledger]) -> list[str]:
    """Every broken invariant, named (empty: the ledger held)."""
    config = settings()
    found: list[str] = []
    ledger = stored(client, config.ledger_table)
    # balance == sum(ledger) and the lots hold it, per account (asserts)
    balances = reconciled(stored(client, config.accounts_table), ledger)
    entries = [from_item(item) for item in ledger]
    by_order: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        if entry.get("order_id"):
            by_order[entry["order_id"]][entry["kind"]] += entry["points"]
    stored_orders = Counter(item["order_id"] for item in scan(client, config.orders_table) if "order_id" in item)

    used: Counter[str] = Counter()
    limited = 0
    for ledger in ledgers:
        found += [f"{kind} {key}: unexpected {status} {body}" for kind, key, status, body in ledger.unexpected]
        found += _orders(ledger, stored_orders, by_order, used)
        found += _replays(ledger)
        limited += sum(
            1
            for sent in ledger.claims.values()
            if sent.status in (200, 201) and sent.body["reward_id"] == LIMITED_REWARD
        )
    found += [f"code {code} used by {count} orders" for code, count in used.items() if count > 1]
    stock = next(reward["stock"] for reward in REWARDS if reward["id"] == LIMITED_REWARD)
    if limited > stock:
        found.append(f"{limited} claims of {LIMITED_REWARD}, stock {stock}")
    reversed_accounts = {entry["customer_id"] for entry in entries if entry["kind"] == "reverse"}
    found += [
        f"{customer_id}: balance {balance} without a reversal"
        for customer_id, balance in balances.items()
        if balance < 0 and customer_id not in reversed_accounts
    ]
    return found


def differences(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    """What a second run of the jobs changed, item by item."""
    changed = []
    for table in sorted(set(before) | set(after)):
        gone = set(before.get(table, [])) - set(after.get(table, []))
        new = set(after.get(table, [])) - set(before.get(table, []))
        changed += [f"{table}: - {item}" for item in sorted(gone)] + [f"{table}: + {item}" for item in sorted(new)]
    return changed


def _orders(
    ledger: Ledger, stored_orders: Counter[str], by_order: dict[str, Counter[str]], used: Counter[str]
) -> list[str]:
    """Each committed order stored once and in the ledger once (its points and redemption); the others nowhere."""
    found = []
    for order_id, sent in ledger.orders.items():
        if sent.status not in (200, 201):
            if stored_orders[order_id] or by_order.get(order_id):
                found.append(f"{order_id}: answered {sent.status}, yet stored or in the ledger")
            continue
        if stored_orders[order_id] != 1:
            found.append(f"{order_id}: committed, stored {stored_orders[order_id]} times")
        points = by_order[order_id]
        if points["earn"] != sent.answer["points"]:
            found.append(f"{order_id}: earned {sent.answer['points']}, ledger says {points['earn']}")
        if points["redeem"] != -sent.answer["points_redeemed"]:
            found.append(f"{order_id}: redeemed {sent.answer['points_redeemed']}, ledger {points['redeem']}")
        used.update(discount["code"] for discount in sent.answer["discounts"] if discount["source"] == "code")
    return found


def _replays(ledger: Ledger) -> list[str]:
    """Every replay answered 200 with its first answer; every conflicting replay refused."""
    found = [
        f"{order_id}: conflicting replay answered {status} {body}"
        for order_id, status, body in ledger.conflicts
        if status != 409 or body["error"]["code"] != "order_conflict"
    ]
    for group in (ledger.orders, ledger.cancels, ledger.returns, ledger.claims):
        for key, sent in group.items():
            found += [
                f"{key}: {sent.kind} again answered {status} {body}, first {sent.status} {sent.answer}"
                for status, body in sent.again
                if (status, body) != (200, sent.answer)
            ]
    return found
