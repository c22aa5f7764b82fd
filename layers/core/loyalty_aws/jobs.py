"""Storage for the scheduled jobs: due accounts and codes, and the writes each unit of work makes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from loyalty.expiry import LotExpiry
from loyalty.tier_history import TierHistoryEntry
from loyalty_aws import digests
from loyalty_aws.accounts import put_account
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import key, to_item
from loyalty_aws.due import moment_key, shard, timestamp
from loyalty_aws.ledger import put_ledger
from loyalty_aws.orders import DynamoOrderStore
from loyalty_aws.settings import Settings
from loyalty_aws.tier_history import put_tier_change
from loyalty_aws.transactions import Transaction
from loyalty_aws.work import day_bound, due_ids, moment_bound
from loyalty_service.ports import AccountChange, AccountRecord, DigestMaterial


class DynamoJobStore(DynamoAdapter):
    def __init__(self, client: Any | None = None, config: Settings | None = None) -> None:
        super().__init__(client, config)
        self._accounts = DynamoOrderStore(client, config)

    def load_account(self, customer_id: str) -> AccountRecord:
        return self._accounts.load_account(customer_id)

    # ------------------------------------------------------------------ what is due

    def tier_reviews_due(self, at: datetime) -> Iterator[str]:
        return self._due("TierReviewIndex", "tier_review_shard", "tier_review_key", day_bound(at))

    def lot_expiries_due(self, at: datetime) -> Iterator[str]:
        return self._due("LotExpiryIndex", "lot_expiry_shard", "lot_expiry_key", moment_bound(at))

    def digests_due(self, at: datetime) -> Iterator[str]:
        return self._due("DigestIndex", "digest_shard", "digest_key", moment_bound(at))

    def code_expiries_due(self, at: datetime) -> Iterator[str]:
        return due_ids(
            self.client,
            table=self.config.codes_table,
            index="CodeExpiryIndex",
            shard_attribute="expiry_shard",
            key_attribute="expiry_key",
            shards=self.config.due_shards,
            bound=moment_bound(at),
        )

    def _due(self, index: str, shard_attribute: str, key_attribute: str, bound: str) -> Iterator[str]:
        return due_ids(
            self.client,
            table=self.config.accounts_table,
            index=index,
            shard_attribute=shard_attribute,
            key_attribute=key_attribute,
            shards=self.config.due_shards,
            bound=bound,
        )

    # ------------------------------------------------------------------ writes

    def save_review(self, change: AccountChange, entry: TierHistoryEntry | None) -> None:
        write = Transaction()
        put_account(write, self.config, "account", change)
        if entry is not None:
            put_tier_change(write, self.config, change.account.customer_id, entry)
        write.write(self.client)

    def save_lot_expiry(self, change: AccountChange, expiry: LotExpiry) -> None:
        write = Transaction()
        put_account(write, self.config, "account", change)
        put_ledger(write, self.config, expiry.ledger)
        write.write(self.client)

    def expire_code(self, code: str, at: datetime) -> bool:
        """Expire the code if it is still active and past its end, and note the activity on its owner."""
        config = self.config
        try:
            response = self.client.update_item(
                TableName=config.codes_table,
                Key=key(code=code),
                UpdateExpression="SET #status = :expired REMOVE owner_id, expiry_shard, expiry_key",
                ConditionExpression="#status = :active AND expires_at <= :at",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item({":expired": "expired", ":active": "active", ":at": timestamp(at)}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        owner = response["Attributes"]["customer_id"]["S"]
        self._note_activity(owner, at)
        return True

    def _note_activity(self, customer_id: str, at: datetime) -> None:
        """Put the account in the digest index, unless it is there already (an earlier activity keeps its place)."""
        try:
            self.client.update_item(
                TableName=self.config.accounts_table,
                Key=key(customer_id=customer_id),
                UpdateExpression=(
                    "SET digest_shard = if_not_exists(digest_shard, :shard), "
                    "digest_key = if_not_exists(digest_key, :key), version = version + :one"
                ),
                ConditionExpression="attribute_exists(customer_id)",
                ExpressionAttributeValues=to_item(
                    {
                        ":shard": shard(customer_id, self.config.due_shards),
                        ":key": moment_key(at, customer_id),
                        ":one": 1,
                    }
                ),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # ------------------------------------------------------------------ digests

    def digest_material(self, record: AccountRecord, since: datetime | None, at: datetime) -> DigestMaterial:
        return digests.digest_material(self.client, self.config, record, since, at)

    def claim_digest(self, customer_id: str, day: date, at: datetime) -> bool:
        return digests.claim_digest(self.client, self.config, customer_id, day, at)

    def release_digest(self, customer_id: str, day: date) -> None:
        digests.release_digest(self.client, self.config, customer_id, day)

    def mark_digested(self, record: AccountRecord, at: datetime) -> None:
        digests.mark_digested(self.client, self.config, record, at)
