"""The nightly tier review: ``lambda_handler`` plans at the schedule's time, ``worker_handler`` works SQS pages."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_aws.jobs import DynamoJobStore
from loyalty_aws.programs import DynamoProgramStore
from loyalty_aws.scheduled import run_scheduled, work_batch
from loyalty_service.programs import ProgramSource
from loyalty_service.tiers_job import TiersJob

logger = Logger()
metrics = Metrics()


@cache
def job() -> TiersJob:
    programs = ProgramSource(DynamoProgramStore())
    return TiersJob(DynamoJobStore(), programs)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_scheduled(job(), event, metrics)


@logger.inject_lambda_context
@metrics.log_metrics
def worker_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return work_batch(job(), event, context, metrics)
