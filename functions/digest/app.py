"""The daily digest: ``lambda_handler`` plans at the schedule's time, ``worker_handler`` sends SQS pages."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_aws.jobs import DynamoJobStore
from loyalty_aws.mailer import SesMailer
from loyalty_aws.programs import DynamoProgramStore
from loyalty_aws.scheduled import run_scheduled, work_batch
from loyalty_aws.settings import settings
from loyalty_aws.unsubscribe import signing_key
from loyalty_service.digest_job import DigestJob
from loyalty_service.programs import ProgramSource
from loyalty_service.unsubscribe import SignedLinks

logger = Logger()
metrics = Metrics()


@cache
def job() -> DigestJob:
    config = settings()
    programs = ProgramSource(DynamoProgramStore())
    mailer = SesMailer(config.digest_sender, config.digest_send_rate)
    links = SignedLinks(signing_key, lambda: settings().public_base_url)
    return DigestJob(DynamoJobStore(), programs, mailer, links)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_scheduled(job(), event, metrics)


@logger.inject_lambda_context
@metrics.log_metrics
def worker_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return work_batch(job(), event, context, metrics)
