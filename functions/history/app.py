"""History import: past orders recorded for tier volume, first-order dates and lifetime spend. Thin handler."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.history import HistoryImport
from loyalty_api.http import create_resolver
from loyalty_api.operations import ImportBody
from loyalty_aws.history import DynamoHistoryStore
from loyalty_aws.programs import DynamoProgramStore
from loyalty_service.history import HistoryService
from loyalty_service.programs import ProgramSource

logger = Logger()
metrics = Metrics()
app = create_resolver()


@cache
def history() -> HistoryService:
    return HistoryService(DynamoHistoryStore(), ProgramSource(DynamoProgramStore()))


@app.post(
    "/admin/history",
    summary="Import up to 100 past orders: they earn nothing and count toward tiers, anniversaries and spend",
    responses={
        409: {"description": "`contended` (retry: what was imported stays imported, the rest is imported then)"},
        422: {"description": "an order that is not valid, named by its index (`orders.3.lines.0.unit_price`)"},
    },
)
def import_history(batch: Annotated[HistoryImport, Body()]) -> ImportBody:
    result = history().import_orders(batch)
    metrics.add_metric(name="OrdersImported", unit=MetricUnit.Count, value=result.imported)
    logger.info("history imported", extra={"imported": result.imported, "skipped": result.skipped})
    return ImportBody(imported=result.imported, skipped=result.skipped)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
