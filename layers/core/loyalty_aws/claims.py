"""Claims in ``ClaimsTable`` (by ``claim_id``; ``CustomerClaimsIndex`` lists an account's, newest first),
and one stock counter per reward in ``StatsTable`` (``stat = stock``, ``part = <reward_id>``, ``claimed``).

A claim is one ``TransactWriteItems``: the claim (not existing), the stock counter (one more, only
while below the stock), the account (its version), the ledger entry and the liability counter. The
counter is a single item and its condition is checked inside the transaction, so concurrent claims
of the last unit cannot both succeed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from loyalty.claims import ClaimCancellation, Claimed, ClaimRecord
from loyalty.errors import FieldError, InvalidInput
from loyalty_aws.accounts import account_from_item, put_account
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.due import sortable
from loyalty_aws.ledger import put_ledger
from loyalty_aws.programs import timeline_from_item, timeline_key
from loyalty_aws.transactions import Transaction, request_token
from loyalty_service.ports import AccountChange, AccountRecord, ClaimAlreadyMade, ClaimContext, StockTaken

CUSTOMER_CLAIMS_INDEX = "CustomerClaimsIndex"
STOCK = "stock"
"""The ``stat`` of the per-reward counters of units claimed and not cancelled."""
BATCH_GET_LIMIT = 100


def stock_key(reward_id: str) -> dict[str, Any]:
    return key(stat=STOCK, part=reward_id)


def claim_item(record: ClaimRecord) -> dict[str, Any]:
    return to_item(
        {
            "claim_id": record.claim_id,
            "customer_id": record.customer_id,
            "claim_key": f"{sortable(record.requested_at)}#{record.claim_id}",
            "reward_id": record.reward_id,
            "status": record.status,
            "fingerprint": record.fingerprint,
            "record": record.model_dump_json(),
        }
    )


def claim_from_item(item: Mapping[str, Any]) -> ClaimRecord:
    return ClaimRecord.model_validate_json(from_item(item)["record"])


@dataclass(frozen=True)
class ClaimPage:
    claims: list[ClaimRecord]
    next_cursor: str | None


def _encode_cursor(last_key: Mapping[str, Any]) -> str:
    plain = from_item(last_key)
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, customer_id: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        plain = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if plain.get("customer_id") != customer_id:
            raise ValueError("cursor of another account")
        parts = {name: plain[name] for name in ("claim_id", "customer_id", "claim_key")}
        if not all(isinstance(part, str) for part in parts.values()):
            raise ValueError("not a claims cursor")
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        raise InvalidInput(
            "the cursor is not valid",
            [FieldError(field="cursor", message="not a cursor of this account's claims", type="cursor")],
        ) from error
    return to_item(parts)


class DynamoClaimStore(DynamoAdapter):
    # ------------------------------------------------------------------ reads

    def load_for_claim(self, customer_id: str, claim_id: str, reward_id: str) -> ClaimContext:
        config = self.config
        found = self.batch_get(
            {
                config.accounts_table: {"Keys": [key(customer_id=customer_id)], "ConsistentRead": True},
                config.claims_table: {"Keys": [key(claim_id=claim_id)], "ConsistentRead": True},
                config.programs_table: {"Keys": [timeline_key()], "ConsistentRead": True},
                config.stats_table: {"Keys": [stock_key(reward_id)], "ConsistentRead": True},
            }
        )
        accounts = found.get(config.accounts_table, [])
        claims = found.get(config.claims_table, [])
        timelines = found.get(config.programs_table, [])
        counters = found.get(config.stats_table, [])
        return ClaimContext(
            account=account_from_item(accounts[0] if accounts else None, customer_id),
            record=claim_from_item(claims[0]) if claims else None,
            timeline=timeline_from_item(timelines[0] if timelines else None),
            claimed=from_item(counters[0]).get("claimed", 0) if counters else 0,
        )

    def load_claim(self, claim_id: str) -> ClaimRecord | None:
        response = self.client.get_item(
            TableName=self.config.claims_table, Key=key(claim_id=claim_id), ConsistentRead=True
        )
        item = response.get("Item")
        return claim_from_item(item) if item else None

    def load_account(self, customer_id: str) -> AccountRecord:
        response = self.client.get_item(
            TableName=self.config.accounts_table, Key=key(customer_id=customer_id), ConsistentRead=True
        )
        return account_from_item(response.get("Item"), customer_id)

    def claims_of(self, customer_id: str, *, limit: int, cursor: str | None) -> ClaimPage:
        request: dict[str, Any] = {
            "TableName": self.config.claims_table,
            "IndexName": CUSTOMER_CLAIMS_INDEX,
            "KeyConditionExpression": "customer_id = :customer",
            "ExpressionAttributeValues": {":customer": {"S": customer_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = _decode_cursor(cursor, customer_id)
        response = self.client.query(**request)
        last = response.get("LastEvaluatedKey")
        return ClaimPage(
            claims=[claim_from_item(item) for item in response.get("Items", [])],
            next_cursor=_encode_cursor(last) if last else None,
        )

    def claimed_units(self, reward_ids: Iterable[str]) -> dict[str, int]:
        ids = list(dict.fromkeys(reward_ids))
        claimed: dict[str, int] = {}
        table = self.config.stats_table
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            keys = [stock_key(reward_id) for reward_id in ids[start : start + BATCH_GET_LIMIT]]
            for item in self.batch_get({table: {"Keys": keys, "ConsistentRead": True}}).get(table, []):
                values = from_item(item)
                claimed[values["part"]] = values.get("claimed", 0)
        return claimed

    # ------------------------------------------------------------------ writes

    def save_claim(self, claimed: Claimed, account: AccountChange, stock: int | None) -> None:
        record = claimed.record
        write = Transaction()
        write.put(
            "claim",
            self.config.claims_table,
            claim_item(record),
            ConditionExpression="attribute_not_exists(claim_id)",
        )
        condition: dict[str, Any] = {}
        if stock is not None:
            condition = {
                "ConditionExpression": "attribute_not_exists(claimed) OR claimed < :stock",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":stock": {"N": str(stock)}},
            }
        write.update(
            STOCK,
            self.config.stats_table,
            stock_key(record.reward_id),
            "ADD claimed :one",
            **({"ExpressionAttributeValues": {":one": {"N": "1"}}} | condition),
        )
        put_account(write, self.config, "account", account)
        put_ledger(write, self.config, [claimed.entry])
        token = request_token("claim", record.claim_id, record.fingerprint, account.before.version)
        write.write(self.client, on_conflict=_claim_conflict, token=token)

    def save_fulfilment(self, record: ClaimRecord) -> None:
        write = Transaction()
        write.put("claim", self.config.claims_table, claim_item(record), **_still_requested())
        write.write(self.client, token=request_token("fulfil", record.claim_id))

    def save_claim_cancel(self, cancellation: ClaimCancellation, account: AccountChange) -> None:
        record = cancellation.record
        write = Transaction()
        write.put("claim", self.config.claims_table, claim_item(record), **_still_requested())
        write.update(
            STOCK,
            self.config.stats_table,
            stock_key(record.reward_id),
            "ADD claimed :less",
            ExpressionAttributeValues={":less": {"N": "-1"}},
        )
        put_account(write, self.config, "account", account)
        put_ledger(write, self.config, [cancellation.entry])
        token = request_token("cancel claim", record.claim_id, account.before.version)
        write.write(self.client, token=token)


def _still_requested() -> dict[str, Any]:
    return {
        "ConditionExpression": "#status = :requested",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":requested": {"S": "requested"}},
    }


def _claim_conflict(failed: list[str]) -> Exception | None:
    if "claim:ConditionalCheckFailed" in failed:
        return ClaimAlreadyMade()
    if f"{STOCK}:ConditionalCheckFailed" in failed:
        return StockTaken()
    return None
