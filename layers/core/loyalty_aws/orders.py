"""The order store: one batched read before a decision, one transaction to commit or cancel it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from loyalty.codes import Code, DiscountCode
from loyalty.commit import Cancellation, Commit, OrderRecord, ReferralConversion
from loyalty.order import Order
from loyalty.partners import PartnerUpdate
from loyalty.returns import Returned
from loyalty_aws.accounts import account_from_item, put_account
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.codes import code_from_item, discount_code_item
from loyalty_aws.daily import DAY_SHARD, day_shard
from loyalty_aws.due import sortable, timestamp
from loyalty_aws.ledger import put_ledger
from loyalty_aws.programs import timeline_from_item, timeline_key
from loyalty_aws.tier_history import put_tier_change
from loyalty_aws.transactions import Transaction, request_token
from loyalty_service.ports import AccountChange, AccountRecord, OrderAlreadyCommitted, OrderContext

_LEAVE_DUE_INDEXES = "REMOVE owner_id, expiry_shard, expiry_key"


def record_item(record: OrderRecord, shards: int) -> dict[str, Any]:
    """The order item; ``day_shard`` + ``placed_key`` place it in ``OrdersByDayIndex`` for reports and replays."""
    return to_item(
        {
            "order_id": record.order_id,
            "customer_id": record.customer_id,
            "placed_at": timestamp(record.placed_at),
            "status": record.status,
            "fingerprint": record.fingerprint,
            "record": record.model_dump_json(),
            DAY_SHARD: day_shard(record.placed_at, record.order_id, shards),
            "placed_key": f"{sortable(record.placed_at)}#{record.order_id}",
        }
    )


def order_from_item(item: Mapping[str, Any]) -> OrderRecord:
    return OrderRecord.model_validate_json(from_item(item)["record"])


class DynamoOrderStore(DynamoAdapter):
    # ------------------------------------------------------------------ reads

    def load_for_order(self, order: Order, *, with_record: bool) -> OrderContext:
        config = self.config
        account_ids = [order.customer_id, *([order.partner_id] if order.partner_id else [])]
        request: dict[str, Any] = {
            config.accounts_table: {"Keys": [key(customer_id=each) for each in account_ids], "ConsistentRead": True},
        }
        if order.codes:
            request[config.codes_table] = {"Keys": [key(code=code) for code in order.codes], "ConsistentRead": True}
        if with_record:
            request[config.orders_table] = {"Keys": [key(order_id=order.order_id)], "ConsistentRead": True}
        request[config.programs_table] = {"Keys": [timeline_key()], "ConsistentRead": True}
        found = self.batch_get(request)
        accounts = {item["customer_id"]["S"]: item for item in found.get(config.accounts_table, [])}
        records = found.get(config.orders_table, [])
        codes: dict[str, Code] = {}
        for item in found.get(config.codes_table, []):
            code = code_from_item(item)
            codes[code.code] = code
        timelines = found.get(config.programs_table, [])
        return OrderContext(
            record=order_from_item(records[0]) if records else None,
            account=account_from_item(accounts.get(order.customer_id), order.customer_id),
            codes=codes,
            timeline=timeline_from_item(timelines[0] if timelines else None),
            partner=account_from_item(accounts.get(order.partner_id), order.partner_id) if order.partner_id else None,
        )

    def load_account(self, customer_id: str) -> AccountRecord:
        response = self.client.get_item(
            TableName=self.config.accounts_table, Key=key(customer_id=customer_id), ConsistentRead=True
        )
        return account_from_item(response.get("Item"), customer_id)

    def load_accounts(self, customer_ids: Sequence[str]) -> list[AccountRecord]:
        table = self.config.accounts_table
        keys = [key(customer_id=each) for each in dict.fromkeys(customer_ids)]
        found = self.batch_get({table: {"Keys": keys, "ConsistentRead": True}})
        items = {item["customer_id"]["S"]: item for item in found.get(table, [])}
        return [account_from_item(items.get(each), each) for each in customer_ids]

    def load_order(self, order_id: str) -> OrderRecord | None:
        response = self.client.get_item(
            TableName=self.config.orders_table, Key=key(order_id=order_id), ConsistentRead=True
        )
        item = response.get("Item")
        return order_from_item(item) if item else None

    def load_code(self, code: str) -> Code | None:
        response = self.client.get_item(TableName=self.config.codes_table, Key=key(code=code), ConsistentRead=True)
        item = response.get("Item")
        return code_from_item(item) if item else None

    # ------------------------------------------------------------------ writes

    def save_commit(
        self,
        commit: Commit,
        account: AccountChange,
        referrer: AccountChange | None,
        partner: AccountChange | None = None,
    ) -> None:
        """One transaction: the order, the account, its ledger, the codes it used and issued, the referral,
        the partner's credit."""
        write = Transaction()
        self._put_record(write, commit.record, ConditionExpression="attribute_not_exists(order_id)")
        put_account(write, self.config, "account", account)
        put_ledger(write, self.config, commit.ledger)
        self._use_codes(write, commit)
        if commit.issued_code is not None:
            self._put_new_code(write, "issued code", commit.issued_code)
        if commit.tier_change is not None:
            put_tier_change(write, self.config, commit.record.customer_id, commit.tier_change)
        if commit.referral is not None:
            self._convert_referral(write, commit.referral, referrer)
        self._write_partner(write, commit.partner, partner)
        token = request_token(
            "commit", commit.record.order_id, commit.record.fingerprint, account.before.version, *_read(partner)
        )
        write.write(self.client, on_conflict=_order_conflict, token=token)

    def save_cancel(
        self, cancellation: Cancellation, account: AccountChange, partner: AccountChange | None = None
    ) -> None:
        """One transaction: the cancelled record (only from committed), the account, the reversals, the revoked code."""
        write = Transaction()
        self._put_record(
            write,
            cancellation.record,
            ConditionExpression="#status = :committed",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":committed": {"S": "committed"}},
        )
        put_account(write, self.config, "account", account)
        put_ledger(write, self.config, cancellation.ledger)
        if cancellation.revoked_code is not None:
            self._revoke(write, cancellation.revoked_code)
        self._write_partner(write, cancellation.partner, partner)
        token = request_token("cancel", cancellation.record.order_id, account.before.version, *_read(partner))
        write.write(self.client, token=token)

    def save_return(
        self, returned: Returned, account: AccountChange, partner: AccountChange | None = None, *, returns_before: int
    ) -> None:
        """One transaction: the record with the return (only from committed, with the returns read), the account,
        the return's ledger entries and, for a full return, the revoked code."""
        write = Transaction()
        item = record_item(returned.record, self.config.report_shards)
        item["returns_made"] = {"N": str(len(returned.record.returns))}
        values = {":committed": {"S": "committed"}}
        if returns_before:
            condition = "#status = :committed AND returns_made = :read"
            values[":read"] = {"N": str(returns_before)}
        else:
            condition = "#status = :committed AND attribute_not_exists(returns_made)"
        write.put(
            "order",
            self.config.orders_table,
            item,
            ConditionExpression=condition,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
        )
        put_account(write, self.config, "account", account)
        put_ledger(write, self.config, returned.ledger)
        if returned.revoked_code is not None:
            self._revoke(write, returned.revoked_code)
        self._write_partner(write, returned.partner, partner)
        token = request_token(
            "return", returned.record.order_id, returned.result.return_id, account.before.version, *_read(partner)
        )
        write.write(self.client, token=token)

    def _write_partner(self, write: Transaction, update: PartnerUpdate | None, change: AccountChange | None) -> None:
        """The partner's account (conditioned on the version read), its ledger entry and a tier upgrade."""
        if update is None or change is None:
            return
        put_account(write, self.config, "partner", change)
        put_ledger(write, self.config, update.ledger)
        if update.tier_change is not None:
            put_tier_change(write, self.config, update.account.customer_id, update.tier_change)

    def _revoke(self, write: Transaction, code: str) -> None:
        write.update(
            "revoked code",
            self.config.codes_table,
            key(code=code),
            f"SET #status = :revoked {_LEAVE_DUE_INDEXES}",
            ConditionExpression="#status = :active",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":revoked": {"S": "revoked"}, ":active": {"S": "active"}},
        )

    # ------------------------------------------------------------------ the steps of a commit

    def _put_record(self, write: Transaction, record: OrderRecord, **condition: Any) -> None:
        write.put("order", self.config.orders_table, record_item(record, self.config.report_shards), **condition)

    def _use_codes(self, write: Transaction, commit: Commit) -> None:
        """Each code the order used: still active, still its owner's, not expired at ``placed_at``."""
        record = commit.record
        for used in commit.used_codes:
            write.update(
                f"code {used.code}",
                self.config.codes_table,
                key(code=used.code),
                f"SET #status = :used, used_by_order = :order {_LEAVE_DUE_INDEXES}",
                ConditionExpression="#status = :active AND customer_id = :owner AND expires_at > :placed_at",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":used": "used",
                        ":active": "active",
                        ":order": record.order_id,
                        ":owner": used.customer_id,
                        ":placed_at": timestamp(record.placed_at),
                    }
                ),
            )

    def _convert_referral(
        self, write: Transaction, conversion: ReferralConversion, referrer: AccountChange | None
    ) -> None:
        """The referral code counts one more referee; the referrer gets its reward code and points."""
        write.update(
            "referral code",
            self.config.codes_table,
            key(code=conversion.code.code),
            "SET referrals = :counted",
            ConditionExpression="referrals = :read",
            ExpressionAttributeValues=to_item(
                {":counted": conversion.code.referrals, ":read": conversion.code.referrals - 1}
            ),
        )
        if conversion.reward_code is not None:
            self._put_new_code(write, "reward code", conversion.reward_code)
        if referrer is not None:
            put_account(write, self.config, "referrer", referrer)
        put_ledger(write, self.config, conversion.ledger)

    def _put_new_code(self, write: Transaction, label: str, code: DiscountCode) -> None:
        write.put(
            label,
            self.config.codes_table,
            discount_code_item(code, self.config.due_shards),
            ConditionExpression="attribute_not_exists(code)",
        )


def _read(partner: AccountChange | None) -> tuple[int, ...]:
    """The partner's version read, for the request token: a retry after the partner moved is another write."""
    return () if partner is None else (partner.before.version,)


def _order_conflict(failed: list[str]) -> Exception | None:
    return OrderAlreadyCommitted() if "order:ConditionalCheckFailed" in failed else None
