"""Due-work queries on the sparse, sharded indexes, and the SQS queue jobs fan out through."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from loyalty_aws import clients
from loyalty_aws.due import before_day_after, up_to
from loyalty_service.jobs import WorkPage

SQS_BATCH = 10


def due_ids(
    client: Any, *, table: str, index: str, shard_attribute: str, key_attribute: str, shards: int, bound: str
) -> Iterator[str]:
    """Every id whose due key sorts before ``bound``, shard by shard: the work due, and nothing else."""
    paginator = client.get_paginator("query")
    for shard in range(shards):
        pages = paginator.paginate(
            TableName=table,
            IndexName=index,
            KeyConditionExpression="#shard = :shard AND #key < :bound",
            ExpressionAttributeNames={"#shard": shard_attribute, "#key": key_attribute},
            ExpressionAttributeValues={":shard": {"S": f"{shard:02d}"}, ":bound": {"S": bound}},
        )
        for page in pages:
            for item in page.get("Items", []):
                yield item[key_attribute]["S"].split("#", 1)[1]


def day_bound(at: datetime) -> str:
    return before_day_after(at)


def moment_bound(at: datetime) -> str:
    return up_to(at)


class SqsWorkQueue:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self._url = queue_url
        self._client = client

    def send(self, pages: Sequence[WorkPage]) -> None:
        client = self._client or clients.sqs()
        for start in range(0, len(pages), SQS_BATCH):
            batch = pages[start : start + SQS_BATCH]
            response = client.send_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(number), "MessageBody": page.model_dump_json()} for number, page in enumerate(batch)
                ],
            )
            failed = response.get("Failed") or []
            if failed:
                raise RuntimeError(f"{len(failed)} work pages could not be queued: {failed[0].get('Message')}")
