"""Program versions: each one stored once and never changed; item 0 holds the timeline of activations.

The timeline item is small (one entry per activation, no document), so the stores read it in the
batch they make for a request anyway, and every request learns the version in force at no extra
round trip. A document is read only the first time a process meets its version number.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from loyalty.types import parse_instant
from loyalty.versions import Activation, Timeline
from loyalty_aws.accounts import parse_time
from loyalty_aws.adapter import DynamoAdapter
from loyalty_aws.codec import from_item, key, to_item
from loyalty_aws.due import timestamp
from loyalty_aws.transactions import Transaction
from loyalty_service.ports import StaleState, StoredVersion

PROGRAM_ID = "default"
TIMELINE = 0
LEGACY_AUTHOR = "unknown"
"""Who activated a version recorded before activations named their admin key."""


def timeline_key() -> dict[str, Any]:
    return key(program_id=PROGRAM_ID, version=TIMELINE)


def timeline_from_item(item: Mapping[str, Any] | None) -> Timeline | None:
    if not item:
        return None
    values = from_item(item)
    if "timeline" in values:
        return Timeline.model_validate_json(values["timeline"])
    # A pointer written before the timeline existed: its version has been in force since its activation.
    version = values["active_version"]
    since = Activation(version=version, at=parse_instant(values["activated_at"]), by=LEGACY_AUTHOR)
    return Timeline(activations=(since,), latest_version=version, revision=0)


class DynamoProgramStore(DynamoAdapter):
    @property
    def table(self) -> str:
        return self.config.programs_table

    def timeline(self) -> Timeline | None:
        response = self.client.get_item(TableName=self.table, Key=timeline_key(), ConsistentRead=True)
        return timeline_from_item(response.get("Item"))

    def version(self, number: int) -> StoredVersion | None:
        if number <= TIMELINE:
            return None
        response = self.client.get_item(
            TableName=self.table, Key=key(program_id=PROGRAM_ID, version=number), ConsistentRead=True
        )
        item = response.get("Item")
        return _stored(from_item(item)) if item else None

    def versions(self) -> list[StoredVersion]:
        found: list[StoredVersion] = []
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "program_id = :id AND version > :timeline",
            "ExpressionAttributeValues": to_item({":id": PROGRAM_ID, ":timeline": TIMELINE}),
            "ScanIndexForward": False,
        }
        while True:
            response = self.client.query(**request)
            found.extend(_stored(from_item(item)) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def save_version(
        self, stored: StoredVersion, before: Timeline | None, after: Timeline, withdrawn: Activation | None
    ) -> None:
        write = Transaction()
        write.put(
            "version",
            self.table,
            to_item(
                {
                    "program_id": PROGRAM_ID,
                    "version": stored.version,
                    "document": json.dumps(stored.document, default=str),
                    "created_at": timestamp(stored.created_at),
                    "created_by": stored.created_by,
                    "activates_at": timestamp(stored.activates_at) if stored.activates_at else None,
                    "activations": [_activation(entry) for entry in stored.activations],
                }
            ),
            ConditionExpression="attribute_not_exists(version)",
        )
        if withdrawn is not None:
            # A staged version that never began: it was never in force, so it keeps no activation.
            write.update(
                "withdrawn version",
                self.table,
                key(program_id=PROGRAM_ID, version=withdrawn.version),
                "REMOVE activations",
                ConditionExpression="attribute_exists(version)",
            )
        self._put_timeline(write, before, after)
        self._write(write)

    def save_rollback(self, activation: Activation, before: Timeline, after: Timeline) -> None:
        write = Transaction()
        write.update(
            "version",
            self.table,
            key(program_id=PROGRAM_ID, version=activation.version),
            "SET activations = list_append(if_not_exists(activations, :none), :entry)",
            ConditionExpression="attribute_exists(version)",
            ExpressionAttributeValues=to_item({":none": [], ":entry": [_activation(activation)]}),
        )
        self._put_timeline(write, before, after)
        self._write(write)

    def _put_timeline(self, write: Transaction, before: Timeline | None, after: Timeline) -> None:
        item = to_item(
            {
                "program_id": PROGRAM_ID,
                "version": TIMELINE,
                "timeline": after.model_dump_json(),
                "revision": after.revision,
            }
        )
        write.put("timeline", self.table, item, **_unchanged_since(before))

    def _write(self, write: Transaction) -> None:
        try:
            write.write(self.client)
        except StaleState as error:
            raise StaleState("another program version was activated at the same time") from error


def _unchanged_since(before: Timeline | None) -> dict[str, Any]:
    if before is None:
        return {"ConditionExpression": "attribute_not_exists(version)"}
    if before.revision == 0:
        return {"ConditionExpression": "attribute_not_exists(revision)"}
    return {
        "ConditionExpression": "revision = :read",
        "ExpressionAttributeValues": {":read": {"N": str(before.revision)}},
    }


def _activation(entry: Activation) -> dict[str, Any]:
    return {"version": entry.version, "at": timestamp(entry.at), "by": entry.by}


def _stored(values: Mapping[str, Any]) -> StoredVersion:
    return StoredVersion(
        version=values["version"],
        document=json.loads(values["document"]),
        created_at=parse_instant(values.get("created_at") or values["activated_at"]),
        created_by=values.get("created_by", LEGACY_AUTHOR),
        activates_at=parse_time(values.get("activates_at")),
        activations=_activations(values),
    )


def _activations(values: Mapping[str, Any]) -> tuple[Activation, ...]:
    if "activations" not in values and "activated_at" in values:  # written before versions kept their history
        return (Activation(version=values["version"], at=parse_instant(values["activated_at"]), by=LEGACY_AUTHOR),)
    return tuple(
        Activation(version=entry["version"], at=parse_instant(entry["at"]), by=entry["by"])
        for entry in values.get("activations", ())
    )
