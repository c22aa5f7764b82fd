"""Adjustments: an admin adds or removes points by hand, with a reason. Thin handler."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.adjustments import Adjustment
from loyalty_api.http import admin_label, create_resolver
from loyalty_api.operations import AdjustmentBody
from loyalty_aws.adjustments import DynamoAdjustmentStore
from loyalty_aws.programs import DynamoProgramStore
from loyalty_service.adjustments import AdjustmentService
from loyalty_service.programs import ProgramSource

logger = Logger()
metrics = Metrics()
app = create_resolver()

CustomerId = Annotated[str, Path(min_length=1, max_length=200)]


@cache
def adjustments() -> AdjustmentService:
    return AdjustmentService(DynamoAdjustmentStore(), ProgramSource(DynamoProgramStore()))


@app.post(
    "/admin/customers/<customer_id>/adjustments",
    summary="Add points (a new lot) or remove them (oldest lots first), with a reason; exactly once per adjustment_id",
    responses={
        200: {
            "description": "the same adjustment was made before: its answer again",
            "content": {"application/json": {"model": AdjustmentBody}},
        },
        201: {
            "description": "the adjustment was made by this request",
            "content": {"application/json": {"model": AdjustmentBody}},
        },
        404: {"description": "no such account"},
        409: {
            "description": "`insufficient_points` (more to remove than the balance), `adjustment_conflict` "
            "(the same adjustment_id with other points or reason) or `contended` (retry)"
        },
    },
)
def adjust(customer_id: CustomerId, adjustment: Annotated[Adjustment, Body()]) -> Response[AdjustmentBody]:
    made = adjustments().adjust(customer_id, adjustment, by=admin_label(app))
    if made.created:
        metrics.add_metric(name="PointsAdjusted", unit=MetricUnit.Count, value=1)
    logger.info(
        "points adjusted",
        extra={"customer_id": customer_id, "points": made.record.points, "replayed": not made.created},
    )
    return Response(
        status_code=HTTPStatus.CREATED if made.created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=AdjustmentBody.of(made.record),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
