"""The customer store: profile upserts, the summary's reads, ledger pages and the GDPR erasure."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from loyalty.buyers import Buyers
from loyalty.codes import Code
from loyalty.commit import OrderRecord
from loyalty.errors import ItemTooLarge
from loyalty.membership import Membership
from loyalty.profile import Profile
from loyalty.versions import Timeline
from loyalty_aws import tier_history
from loyalty_aws.accounts import account_from_item, buyer_item, item_from_record, version_condition
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.codes import code_from_item
from loyalty_aws.ledger import LedgerPage, read_page
from loyalty_aws.programs import timeline_from_item, timeline_key
from loyalty_aws.tier_history import HistoryPage
from loyalty_aws.transactions import too_large
from loyalty_service.ports import AccountRecord, StaleState

OWNER_INDEX = "OwnerIndex"
CUSTOMER_ORDERS_INDEX = "CustomerOrdersIndex"
ERASED_PROFILE: Mapping[str, Any] = {"email_opt_in": False}
"""What is left of a profile after a GDPR erasure: no email, no name, no locale; no digest."""
SCRUB_WORKERS = 8
SCRUB_ATTEMPTS = 5
BATCH_GET_LIMIT = 100


class DynamoCustomerStore(DynamoAdapter):
    # ------------------------------------------------------------------ reads

    def load_account(self, customer_id: str) -> AccountRecord | None:
        response = self.client.get_item(
            TableName=self.config.accounts_table, Key=key(customer_id=customer_id), ConsistentRead=True
        )
        item = response.get("Item")
        return account_from_item(item, customer_id) if item else None

    def load_with_timeline(self, customer_id: str) -> tuple[AccountRecord | None, Timeline | None]:
        config = self.config
        request: dict[str, Any] = {
            config.accounts_table: {"Keys": [key(customer_id=customer_id)], "ConsistentRead": True},
            config.programs_table: {"Keys": [timeline_key()], "ConsistentRead": True},
        }
        found = self.batch_get(request)
        accounts = found.get(config.accounts_table, [])
        timelines = found.get(config.programs_table, [])
        return (
            account_from_item(accounts[0], customer_id) if accounts else None,
            timeline_from_item(timelines[0] if timelines else None),
        )

    def account_exists(self, customer_id: str) -> bool:
        response = self.client.get_item(
            TableName=self.config.accounts_table,
            Key=key(customer_id=customer_id),
            ProjectionExpression="customer_id",
            ConsistentRead=True,
        )
        return "Item" in response

    def owned_codes(self, customer_id: str) -> list[Code]:
        """The account's live codes (active discount codes, its referral code): ``OwnerIndex`` is sparse."""
        return [
            code_from_item(item)
            for item in self._query(
                TableName=self.config.codes_table,
                IndexName=OWNER_INDEX,
                KeyConditionExpression="owner_id = :owner",
                ExpressionAttributeValues={":owner": {"S": customer_id}},
            )
        ]

    def ledger_page(self, customer_id: str, *, limit: int, cursor: str | None) -> LedgerPage:
        return read_page(self.client, self.config.ledger_table, customer_id, limit=limit, cursor=cursor)

    def tier_history_page(self, customer_id: str, *, limit: int, cursor: str | None) -> HistoryPage:
        return tier_history.read_page(self.client, self.config, customer_id, limit=limit, cursor=cursor)

    # ------------------------------------------------------------------ writes

    def save_profile(self, customer_id: str, profile: Profile) -> AccountRecord:
        """One ``UpdateItem``: the profile, its segment and partner flag, ``version + 1`` so a commit re-reads.

        An account not stored yet is created with a zero balance (an order fills in the rest). A profile
        sent after an erasure is new data from the storefront: the account is no longer marked erased.
        """
        # the flag is stored only when set: the profile of an account that is no partner reads as it always did
        unset = None if profile.partner else {"partner"}
        values: dict[str, Any] = {
            ":profile": profile.model_dump(mode="json", exclude_none=True, exclude=unset),
            ":zero": 0,
            ":one": 1,
        }
        assignments = [
            "#profile = :profile",
            "#version = if_not_exists(#version, :zero) + :one",
            "#balance = if_not_exists(#balance, :zero)",
        ]
        removals = ["#erased"]
        if profile.partner:
            assignments.append("#partner = :partner")
            values[":partner"] = True
        else:
            removals.append("#partner")
        if profile.segment is None:
            removals.append("#segment")
        else:
            assignments.append("#segment = :segment")
            values[":segment"] = profile.segment
        try:
            response = self.client.update_item(
                TableName=self.config.accounts_table,
                Key=key(customer_id=customer_id),
                UpdateExpression=f"SET {', '.join(assignments)} REMOVE {', '.join(removals)}",
                ExpressionAttributeNames={
                    "#profile": "profile",
                    "#version": "version",
                    "#balance": "balance",
                    "#erased": "erased",
                    "#segment": "segment",
                    "#partner": "partner",
                },
                ExpressionAttributeValues=to_item(values),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if too_large(error):
                raise ItemTooLarge from error
            raise
        return account_from_item(response["Attributes"], customer_id)

    def save_membership(self, before: AccountRecord, membership: Membership) -> None:
        """One ``PutItem`` of the whole account with its new ``membership``, conditioned on the version read."""
        after = replace(before, account=before.account.model_copy(update={"membership": membership}))
        try:
            self.client.put_item(
                TableName=self.config.accounts_table,
                Item=item_from_record(after, self.config.due_shards, version=before.version + 1),
                **version_condition(before),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleState from error
            if too_large(error):
                raise ItemTooLarge from error
            raise

    def erase_profile(self, before: AccountRecord, buyers: Buyers) -> None:
        """One ``UpdateItem`` conditioned on the version read: the profile goes, the buyers' totals stay anonymized."""
        values: dict[str, Any] = {
            ":profile": dict(ERASED_PROFILE),
            ":erased": True,
            ":one": 1,
            ":read": before.version,
        }
        assignments = "#profile = :profile, #erased = :erased, #version = #version + :one"
        if buyers:
            assignments += ", #buyers = :buyers"
            values[":buyers"] = [buyer_item(buyer) for buyer in buyers]
        try:
            self.client.update_item(
                TableName=self.config.accounts_table,
                Key=key(customer_id=before.account.customer_id),
                UpdateExpression=f"SET {assignments}",
                ConditionExpression="#version = :read",
                ExpressionAttributeNames={
                    "#profile": "profile",
                    "#erased": "erased",
                    "#version": "version",
                    **({"#buyers": "buyers"} if buyers else {}),
                },
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleState from error
            raise

    def scrub_ledger(self, customer_id: str) -> int:
        """``REMOVE buyer_id`` from every ledger entry of the account that carries one."""
        config = self.config
        keys = [
            {"customer_id": item["customer_id"], "entry_key": item["entry_key"]}
            for item in self._query(
                TableName=config.ledger_table,
                KeyConditionExpression="customer_id = :customer",
                FilterExpression="attribute_exists(buyer_id)",
                ProjectionExpression="customer_id, entry_key",
                ExpressionAttributeValues={":customer": {"S": customer_id}},
            )
        ]

        def scrub(entry: dict[str, Any]) -> None:
            self._ignoring_missing(
                lambda: self.client.update_item(
                    TableName=config.ledger_table,
                    Key=entry,
                    UpdateExpression="REMOVE buyer_id",
                    ConditionExpression="attribute_exists(entry_key)",
                )
            )

        self._each(scrub, keys)
        return len(keys)

    def scrub_orders(self, customer_id: str) -> int:
        """Rewrite the account's order records without ``buyer_id``: each conditioned on the record it read."""
        config = self.config
        order_ids = [
            from_item(item)["order_id"]
            for item in self._query(
                TableName=config.orders_table,
                IndexName=CUSTOMER_ORDERS_INDEX,
                KeyConditionExpression="customer_id = :customer",
                ExpressionAttributeValues={":customer": {"S": customer_id}},
            )
        ]
        carrying = [item for item in self._orders(order_ids) if _carries_buyer(item)]
        self._each(self._scrub_order, carrying)
        return len(carrying)

    # ------------------------------------------------------------------ helpers

    def _scrub_order(self, item: Mapping[str, Any]) -> None:
        table = self.config.orders_table
        for _ in range(SCRUB_ATTEMPTS):
            stored = item["record"]["S"]
            scrubbed = _without_buyer(stored)
            try:
                self.client.update_item(
                    TableName=table,
                    Key={"order_id": item["order_id"]},
                    UpdateExpression="SET #record = :scrubbed REMOVE buyer_id",
                    ConditionExpression="#record = :read",
                    ExpressionAttributeNames={"#record": "record"},
                    ExpressionAttributeValues={":scrubbed": {"S": scrubbed}, ":read": {"S": stored}},
                )
                return
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
            # the record changed since it was read (a cancel): read it again and scrub what is there now
            response = self.client.get_item(TableName=table, Key={"order_id": item["order_id"]}, ConsistentRead=True)
            item = response.get("Item") or {}
            if not item or not _carries_buyer(item):
                return
        raise RuntimeError(f"order {item['order_id']['S']!r} kept changing while being scrubbed")

    def _orders(self, order_ids: list[str]) -> Iterator[dict[str, Any]]:
        table = self.config.orders_table
        for start in range(0, len(order_ids), BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                table: {
                    "Keys": [key(order_id=order_id) for order_id in order_ids[start : start + BATCH_GET_LIMIT]],
                    "ConsistentRead": True,
                }
            }
            while pending:
                response = self.client.batch_get_item(RequestItems=pending)
                yield from response.get("Responses", {}).get(table, [])
                pending = response.get("UnprocessedKeys") or {}

    def _query(self, **request: Any) -> Iterator[dict[str, Any]]:
        for page in self.client.get_paginator("query").paginate(**request):
            yield from page.get("Items", [])

    @staticmethod
    def _each(action: Callable[[Any], None], items: Iterable[Any]) -> None:
        pending = list(items)
        if len(pending) <= 1:
            for item in pending:
                action(item)
            return
        with ThreadPoolExecutor(max_workers=min(SCRUB_WORKERS, len(pending))) as pool:
            for _ in pool.map(action, pending):
                pass

    @staticmethod
    def _ignoring_missing(write: Callable[[], Any]) -> None:
        try:
            write()
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise


def _carries_buyer(item: Mapping[str, Any]) -> bool:
    record = OrderRecord.model_validate_json(item["record"]["S"])
    return (
        "buyer_id" in item
        or record.buyer_id is not None
        or (record.order is not None and record.order.buyer_id is not None)
    )


def _without_buyer(record: str) -> str:
    """The stored record without ``buyer_id`` (its own and its order's), written as the order store writes records."""
    stored = OrderRecord.model_validate_json(record)
    order = stored.order.model_copy(update={"buyer_id": None}) if stored.order is not None else None
    return stored.model_copy(update={"buyer_id": None, "order": order}).model_dump_json()
