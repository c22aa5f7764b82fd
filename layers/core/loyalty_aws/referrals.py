"""Referral codes: the code item and the account's ``referral_code``, written in one transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from loyalty.codes import ReferralCode
from loyalty_aws.accounts import account_from_item, item_from_record
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import key, to_item
from loyalty_aws.codes import code_from_item, referral_code_item
from loyalty_aws.transactions import Transaction
from loyalty_service.ports import AccountRecord


class DynamoReferralStore(DynamoAdapter):
    def load_account(self, customer_id: str) -> AccountRecord:
        response = self.client.get_item(
            TableName=self.config.accounts_table, Key=key(customer_id=customer_id), ConsistentRead=True
        )
        return account_from_item(response.get("Item"), customer_id)

    def load_referral_code(self, code: str) -> ReferralCode | None:
        response = self.client.get_item(TableName=self.config.codes_table, Key=key(code=code), ConsistentRead=True)
        item = response.get("Item")
        found = code_from_item(item) if item else None
        return found if isinstance(found, ReferralCode) else None

    def create_referral_code(self, account: AccountRecord, code: ReferralCode, at: datetime) -> None:
        """Put the code (new) and set it on the account (not set yet), or write neither: ``StaleState``.

        The account's ``version`` moves on, so a commit that read the account before does not put back
        an item without the code. An account never stored is created here, with the code.
        """
        config = self.config
        write = Transaction()
        write.put(
            "code",
            config.codes_table,
            referral_code_item(code, at, config.report_shards),
            ConditionExpression="attribute_not_exists(code)",
        )
        if account.exists:
            write.update(
                "account",
                config.accounts_table,
                key(customer_id=code.customer_id),
                "SET #referral = :code, #version = #version + :one",
                ConditionExpression="attribute_exists(customer_id) AND attribute_not_exists(#referral)",
                ExpressionAttributeNames={"#referral": "referral_code", "#version": "version"},
                ExpressionAttributeValues=to_item({":code": code.code, ":one": 1}),
            )
        else:
            write.put(
                "account",
                config.accounts_table,
                item_from_record(replace(account, referral_code=code.code), config.due_shards, version=1),
                ConditionExpression="attribute_not_exists(customer_id)",
            )
        write.write(self.client)
