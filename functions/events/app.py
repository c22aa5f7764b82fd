"""The events publisher: DynamoDB stream batches -> domain events on the EventBridge bus. Thin handler.

Changes that could not be decoded, mapped or published are reported as batch item failures (the
stream then retries from the first of them, bisecting a batch that raised; after its retries a batch
goes to the dead-letter queue).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.events import Change, TableRole
from loyalty_aws.bus import EventBridgeBus
from loyalty_aws.settings import settings
from loyalty_aws.streams import UnknownTable, change_of, table_roles
from loyalty_service.events import EventPublisher

logger = Logger()
metrics = Metrics()


class ChangeNotPublished(Exception):
    """Its events are not all on the bus yet: the stream delivers it again."""


@cache
def publisher() -> EventPublisher:
    config = settings()
    if not config.event_bus_name:
        raise RuntimeError("EVENT_BUS_NAME is not set")
    return EventPublisher(EventBridgeBus(config.event_bus_name))


@cache
def roles() -> dict[str, TableRole]:
    return table_roles(settings())


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    changes: list[tuple[str, Change]] = []
    failed: set[str] = set()
    for record in event.get("Records", []):
        sequence = str(record.get("dynamodb", {}).get("SequenceNumber"))
        try:
            changes.append((sequence, change_of(record, roles())))
        except (UnknownTable, KeyError, ValueError) as error:
            logger.error("stream record cannot be read", sequence=sequence, error=str(error))
            failed.add(sequence)
    published = publisher().publish(changes)
    failed |= published.failed
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=len(published.events))

    def check(record: DynamoDBRecord) -> None:
        if record.dynamodb is not None and record.dynamodb.sequence_number in failed:
            raise ChangeNotPublished(record.dynamodb.sequence_number)

    # A batch whose every record failed is a partial response too: the stream retries from its first record.
    processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=check, processor=processor, context=context)
