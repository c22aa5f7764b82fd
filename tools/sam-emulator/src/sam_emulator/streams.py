"""DynamoDB stream event sources (``Type: DynamoDB`` events): the tables' stream records delivered to functions.

As the Lambda service does, per mapping: records are read in order in batches of ``BatchSize`` and
handed over as a real-shaped stream event. A batch that raised, or the records from the first one
named in ``batchItemFailures`` (``FunctionResponseTypes: [ReportBatchItemFailures]``), are delivered
again, up to ``MaximumRetryAttempts`` times; then the batch is described in a message to the
``DestinationConfig.OnFailure`` queue (if any) and skipped. ``BisectBatchOnFunctionError`` is not
emulated: the whole rest of the batch is retried. Records are read from the embedded DynamoDB in this
process (moto keeps each stream-enabled table's records; its DynamoDB Streams API is not served by
``mock_aws``); ``drain()`` delivers every record written so far.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.dynamodb.models import dynamodb_backends

from sam_emulator.lambdas import Functions
from sam_emulator.template import ACCOUNT_ID, Stack, StreamMapping

log = logging.getLogger("sam_emulator.streams")

MAX_BATCHES = 10_000


@dataclass
class _Position:
    mapping: StreamMapping
    stream_arn: str
    after: str | None = None
    """The last sequence number done with (delivered successfully or given up on)."""
    attempts: int = 0


@dataclass
class StreamSummary:
    batches: int = 0
    records: int = 0
    retried: int = 0
    given_up: int = 0
    per_function: dict[str, int] = field(default_factory=dict)


class Streams:
    def __init__(self, stack: Stack, functions: Functions, dynamodb: Any, sqs: Any) -> None:
        self.stack = stack
        self.functions = functions
        self.sqs = sqs
        self.positions = []
        for mapping in stack.stream_mappings():
            if not mapping.enabled:
                continue
            described = dynamodb.describe_table(TableName=stack.physical_name(mapping.table))["Table"]
            arn = described.get("LatestStreamArn")
            if arn is None:
                raise ValueError(f"{mapping.function}.{mapping.event}: {mapping.table} has no StreamSpecification")
            self.positions.append(_Position(mapping=mapping, stream_arn=arn))

    def drain(self) -> StreamSummary:
        summary = StreamSummary()
        with self.functions.lock:
            while summary.batches < MAX_BATCHES:
                if not any([self._deliver(position, summary) for position in self.positions]):
                    break
        return summary

    def _read(self, position: _Position) -> list[dict[str, Any]]:
        table = dynamodb_backends[ACCOUNT_ID][self.stack.region].get_table(
            self.stack.physical_name(position.mapping.table)
        )
        shard = table.stream_shard
        records = [record.to_json() for record in (shard.items if shard is not None else [])]
        if position.after is not None:
            records = [record for record in records if int(record["dynamodb"]["SequenceNumber"]) > int(position.after)]
        return copy.deepcopy(records[: position.mapping.batch_size])

    def _deliver(self, position: _Position, summary: StreamSummary) -> bool:
        records = self._read(position)
        if not records:
            return False
        mapping = position.mapping
        summary.batches += 1
        summary.per_function[mapping.function] = summary.per_function.get(mapping.function, 0) + len(records)
        event = {"Records": [self._record(position, record) for record in records]}
        first_failed = self._invoke(mapping, event)
        if first_failed is None:
            position.after, position.attempts = records[-1]["dynamodb"]["SequenceNumber"], 0
            summary.records += len(records)
            return True
        done = records[:first_failed]
        if done:
            position.after, position.attempts = done[-1]["dynamodb"]["SequenceNumber"], 0
            summary.records += len(done)
            return True
        position.attempts += 1
        if position.attempts <= mapping.maximum_retry_attempts:
            summary.retried += 1
            return True
        self._give_up(position, event)
        position.after, position.attempts = records[-1]["dynamodb"]["SequenceNumber"], 0
        summary.given_up += len(records)
        return True

    def _invoke(self, mapping: StreamMapping, event: dict[str, Any]) -> int | None:
        """The index of the first record to deliver again, or None when the batch succeeded."""
        try:
            answer = self.functions[mapping.function].invoke(event)
        except Exception:
            log.exception("%s failed on a batch of %d from %s", mapping.function, len(event["Records"]), mapping.table)
            return 0
        if not mapping.report_batch_item_failures or not isinstance(answer, Mapping):
            return None
        failures = answer.get("batchItemFailures") or []
        sequence = [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]
        named = [failure.get("itemIdentifier") for failure in failures if isinstance(failure, Mapping)]
        if any(identifier not in sequence for identifier in named):
            log.error("%s: batchItemFailures names records not in the batch", mapping.function)
            return 0
        return min((sequence.index(identifier) for identifier in named), default=None)

    def _give_up(self, position: _Position, event: dict[str, Any]) -> None:
        mapping = position.mapping
        records = event["Records"]
        log.error("%s: %d stream records given up after retries", mapping.function, len(records))
        if mapping.on_failure_queue is None:
            return
        context = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": self.stack.arn(mapping.function)},
            "DDBStreamBatchInfo": {
                "shardId": "local",
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "batchSize": len(records),
                "streamArn": position.stream_arn,
            },
        }
        self.sqs.send_message(QueueUrl=self.stack.queue_url(mapping.on_failure_queue), MessageBody=json.dumps(context))

    def _record(self, position: _Position, record: dict[str, Any]) -> dict[str, Any]:
        stream = dict(record["dynamodb"])
        created = stream.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            stream["ApproximateCreationDateTime"] = created.timestamp()
        return {**record, "dynamodb": stream, "eventSourceARN": position.stream_arn, "awsRegion": self.stack.region}
