"""The Lambda side of a scheduled job: read T from the EventBridge event, plan; work SQS pages in batches."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from loyalty_aws.settings import settings
from loyalty_aws.work import SqsWorkQueue
from loyalty_service.jobs import JobLimits, UnitsFailed, WorkPage, run_job, work_page
from loyalty_service.ports import Job


def run_scheduled(job: Job, event: dict[str, Any], metrics: Metrics) -> dict[str, Any]:
    """Run ``job`` at the event's ``time`` (never the clock: a replayed event replays the same night)."""
    scheduled = parse(event=event, model=EventBridgeModel)
    config = settings()
    queue = SqsWorkQueue(config.work_queue_url) if config.work_queue_url else None
    summary = run_job(
        job,
        scheduled.time,
        limits=JobLimits(inline=config.inline_work_limit, page_size=config.work_page_size),
        queue=queue,
    )
    metrics.add_dimension(name="job", value=job.name)
    metrics.add_metric(name="WorkDue", unit=MetricUnit.Count, value=summary.due)
    metrics.add_metric(name="WorkChanged", unit=MetricUnit.Count, value=summary.changed)
    metrics.add_metric(name="WorkPagesQueued", unit=MetricUnit.Count, value=summary.pages)
    metrics.add_metric(name="WorkFailed", unit=MetricUnit.Count, value=summary.failed)
    return summary.model_dump(mode="json")


def work_batch(job: Job, event: dict[str, Any], context: Any, metrics: Metrics) -> dict[str, Any]:
    """Work a batch of pages; a page that fails is reported alone and retried, the others are done.

    A page fails when one of its units raised (``UnitsFailed``, after its other units were done)
    or when it cannot be read; either way it is a batch item failure, never the whole batch's.
    """
    changed = 0
    failed = 0

    def handle(record: SQSRecord) -> None:
        nonlocal changed, failed
        try:
            changed += work_page(job, WorkPage.model_validate_json(record.body))
        except UnitsFailed as error:
            failed += len(error.units)
            raise

    response = process_partial_response(
        event=event, record_handler=handle, processor=BatchProcessor(event_type=EventType.SQS), context=context
    )
    metrics.add_dimension(name="job", value=job.name)
    metrics.add_metric(name="WorkChanged", unit=MetricUnit.Count, value=changed)
    metrics.add_metric(name="WorkFailed", unit=MetricUnit.Count, value=failed)
    return dict(response)
