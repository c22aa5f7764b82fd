"""SQS event source mappings (``Type: SQS`` events): the queues' messages delivered to their functions.

As the Lambda service does: messages are received in batches of the mapping's ``BatchSize`` and
handed over as a real-shaped SQS event. A batch that raised failed as a whole; with
``FunctionResponseTypes: [ReportBatchItemFailures]`` only the ``batchItemFailures`` failed (a
malformed answer fails the whole batch). Succeeded messages are deleted. A failed message on a queue
with a ``RedrivePolicy`` becomes visible again at once and is retried until its receive count reaches
``maxReceiveCount``; the embedded SQS then moves it to the dead-letter queue. Without a redrive
policy it waits out its visibility timeout, as in AWS, and is retried by a later drain.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sam_emulator.lambdas import Functions
from sam_emulator.template import QueueMapping, Stack

log = logging.getLogger("sam_emulator.queues")

RECEIVE_LIMIT = 10
"""SQS hands out at most 10 messages per receive; a bigger BatchSize is assembled from several."""
MAX_BATCHES = 10_000
"""A drain stops after this many batches, so a consumer that re-enqueues forever cannot hang a job."""


@dataclass
class DrainSummary:
    batches: int = 0
    received: int = 0
    processed: int = 0
    failed: int = 0
    retried: int = 0
    dead_lettered: int = 0
    queues: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, queue: str, **counts: int) -> None:
        per_queue = self.queues.setdefault(queue, {"batches": 0, "processed": 0, "failed": 0, "dead_lettered": 0})
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + value)
            if name in per_queue:
                per_queue[name] += value

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Source:
    mapping: QueueMapping
    url: str
    arn: str
    max_receive_count: int | None


class Queues:
    """Delivers the messages of every enabled mapping until no mapped queue has a visible message."""

    def __init__(self, stack: Stack, functions: Functions, sqs: Any) -> None:
        self.region = stack.region
        self.functions = functions
        self.sqs = sqs
        self.sources = []
        for mapping in stack.queue_mappings():
            if not mapping.enabled:
                continue
            redrive = stack.resolve(stack.resources[mapping.queue].get("Properties", {}).get("RedrivePolicy"))
            self.sources.append(
                _Source(
                    mapping=mapping,
                    url=stack.queue_url(mapping.queue),
                    arn=stack.arn(mapping.queue),
                    max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
                )
            )

    def drain(self) -> DrainSummary:
        summary = DrainSummary()
        with self.functions.lock:
            while summary.batches < MAX_BATCHES:
                delivered = [self._deliver(source, summary) for source in self.sources]
                if not any(delivered):
                    break
        return summary

    def _receive(self, source: _Source) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < source.mapping.batch_size:
            response = self.sqs.receive_message(
                QueueUrl=source.url,
                MaxNumberOfMessages=min(RECEIVE_LIMIT, source.mapping.batch_size - len(messages)),
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            if not received:
                break
            messages += received
        return messages

    def _deliver(self, source: _Source, summary: DrainSummary) -> bool:
        messages = self._receive(source)
        if not messages:
            return False
        queue = source.mapping.queue
        summary.count(queue, batches=1, received=len(messages))
        event = {"Records": [self._record(source, message) for message in messages]}
        failed = self._invoke(source, event)
        succeeded = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(succeeded), RECEIVE_LIMIT):
            chunk = succeeded[start : start + RECEIVE_LIMIT]
            self.sqs.delete_message_batch(
                QueueUrl=source.url,
                Entries=[{"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]} for index, m in enumerate(chunk)],
            )
        summary.count(queue, processed=len(succeeded))
        for message in messages:
            if message["MessageId"] in failed:
                self._fail(source, message, summary)
        return True

    def _invoke(self, source: _Source, event: dict[str, Any]) -> set[str]:
        """The ids of the messages that failed in this batch."""
        every = {record["messageId"] for record in event["Records"]}
        try:
            answer = self.functions[source.mapping.function].invoke(event)
        except Exception:
            log.exception(
                "%s failed on a batch of %d from %s", source.mapping.function, len(every), source.mapping.queue
            )
            return every
        if not source.mapping.report_batch_item_failures:
            return set()
        if answer is None:
            return set()
        failures = answer.get("batchItemFailures") if isinstance(answer, Mapping) else None
        if not isinstance(failures, list):
            log.error("%s: malformed partial batch response %.200r", source.mapping.function, answer)
            return every
        identifiers = {failure.get("itemIdentifier") if isinstance(failure, Mapping) else None for failure in failures}
        if not identifiers <= every:
            log.error("%s: batchItemFailures names messages not in the batch", source.mapping.function)
            return every
        return {identifier for identifier in identifiers if identifier}

    def _fail(self, source: _Source, message: dict[str, Any], summary: DrainSummary) -> None:
        queue = source.mapping.queue
        if source.max_receive_count is None:
            summary.count(queue, failed=1)  # back after its visibility timeout; a later drain retries it
            return
        receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if receives >= source.max_receive_count:
            summary.count(queue, failed=1, dead_lettered=1)
        else:
            summary.count(queue, retried=1)
        # Visible again now: retried by this drain, or moved to the DLQ by SQS on the next receive.
        self.sqs.change_message_visibility(
            QueueUrl=source.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )

    def _record(self, source: _Source, message: dict[str, Any]) -> dict[str, Any]:
        attributes = {}
        for name, value in (message.get("MessageAttributes") or {}).items():
            binary = value.get("BinaryValue")
            attributes[name] = {
                "stringValue": value.get("StringValue"),
                "binaryValue": base64.b64encode(binary).decode() if binary is not None else None,
                "stringListValues": value.get("StringListValues", []),
                "binaryListValues": [base64.b64encode(item).decode() for item in value.get("BinaryListValues", [])],
                "dataType": value.get("DataType"),
            }
            attributes[name] = {key: item for key, item in attributes[name].items() if item is not None}
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": source.arn,
            "awsRegion": self.region,
        }
