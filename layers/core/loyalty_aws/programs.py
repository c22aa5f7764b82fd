"""Program versions: each one kept for audit and backtests; version 0 points at the active one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from loyalty.program import Program
from loyalty_aws.accounts import instant
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.due import timestamp
from loyalty_aws.transactions import Transaction
from loyalty_service.ports import ActiveProgram, StaleState

PROGRAM_ID = "default"
POINTER = 0


class DynamoProgramStore(DynamoAdapter):
    @property
    def table(self) -> str:
        return self.config.programs_table

    def active(self) -> ActiveProgram | None:
        response = self.client.get_item(
            TableName=self.table, Key=key(program_id=PROGRAM_ID, version=POINTER), ConsistentRead=True
        )
        item = response.get("Item")
        return _active(from_item(item)) if item else None

    def activate(self, program: Program, document: Mapping[str, Any], at: datetime) -> ActiveProgram:
        """Store ``document`` as the next version and make it the active one, atomically."""
        current = self.active()
        version = (current.version if current else 0) + 1
        text = json.dumps(document, sort_keys=True, default=str)
        stored = {"program_id": PROGRAM_ID, "document": text, "activated_at": timestamp(at)}
        write = Transaction()
        write.put(
            "version",
            self.table,
            to_item({**stored, "version": version}),
            ConditionExpression="attribute_not_exists(version)",
        )
        pointer_condition: dict[str, Any] = (
            {
                "ConditionExpression": "active_version = :read",
                "ExpressionAttributeValues": {":read": {"N": str(version - 1)}},
            }
            if current
            else {"ConditionExpression": "attribute_not_exists(version)"}
        )
        write.put(
            "pointer",
            self.table,
            to_item({**stored, "version": POINTER, "active_version": version}),
            **pointer_condition,
        )
        try:
            write.write(self.client)
        except StaleState as error:
            raise StaleState("another program version was activated at the same time") from error
        return ActiveProgram(program=program, version=version, activated_at=at, document=json.loads(text))


def _active(values: Mapping[str, Any]) -> ActiveProgram:
    document = json.loads(values["document"])
    return ActiveProgram(
        program=Program.parse(document),
        version=values["active_version"],
        activated_at=instant(values["activated_at"]),
        document=document,
    )
