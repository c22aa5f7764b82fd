"""Orders: preview a cart, commit an order exactly once, cancel it. Thin: parse, call the use case, answer."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.decision import Decision
from loyalty.order import Order
from loyalty_api.http import create_resolver
from loyalty_api.metrics import record_decision
from loyalty_api.orders import Cancelled
from loyalty_aws.orders import DynamoOrderStore
from loyalty_aws.programs import DynamoProgramStore
from loyalty_aws.settings import settings
from loyalty_service.orders import OrderService
from loyalty_service.programs import ProgramSource

logger = Logger()
metrics = Metrics()
app = create_resolver()

OrderId = Annotated[str, Path(min_length=1, max_length=200)]


@cache
def orders() -> OrderService:
    config = settings()
    skew = timedelta(minutes=config.max_future_skew_minutes) if config.max_future_skew_minutes else None
    programs = ProgramSource(DynamoProgramStore())
    return OrderService(DynamoOrderStore(), programs, max_future_skew=skew)


@app.post("/orders/preview", summary="Score a cart without writing anything")
def preview(order: Annotated[Order, Body()]) -> Decision:
    decision = orders().preview(order)
    record_decision(metrics, decision, committed=False)
    return decision


@app.post(
    "/orders",
    summary="Commit an order: 201 the first time, 200 with the same body when replayed",
    responses={
        200: {
            "description": "the order was committed before: its stored decision",
            "content": {"application/json": {"model": Decision}},
        },
        201: {"description": "the order is committed", "content": {"application/json": {"model": Decision}}},
        409: {"description": "the same order_id with another payload, or a code or redemption that cannot apply"},
    },
)
def commit(order: Annotated[Order, Body()]) -> Response[Decision]:
    committed = orders().commit(order)
    if committed.created:
        record_decision(metrics, committed.decision, committed=True)
    else:
        metrics.add_metric(name="OrdersReplayed", unit=MetricUnit.Count, value=1)
    logger.info("order committed", extra={"order_id": order.order_id, "replayed": not committed.created})
    return Response(
        status_code=HTTPStatus.CREATED if committed.created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=committed.decision,
    )


@app.post("/orders/<order_id>/cancel", summary="Reverse an order; cancelling twice changes nothing")
def cancel(order_id: OrderId) -> Cancelled:
    record = orders().cancel(order_id)
    return Cancelled(
        order_id=record.order_id,
        points_reversed=record.points_reversed or 0,
        balance=record.balance_after_cancel or 0,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
