"""Orders: preview a cart, commit an order exactly once, return some of its lines, cancel it. Thin handlers."""

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
from loyalty.errors import FieldError, InvalidInput
from loyalty.order import Order
from loyalty.returns import ReturnRequest
from loyalty_api.http import create_resolver
from loyalty_api.metrics import record_decision
from loyalty_api.orders import Cancelled, ReturnBody
from loyalty_aws.orders import DynamoOrderStore
from loyalty_aws.programs import DynamoProgramStore
from loyalty_aws.settings import settings
from loyalty_service.orders import OrderService
from loyalty_service.programs import ProgramSource
from loyalty_service.returns import ReturnService

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


@app.post(
    "/orders/preview",
    summary="Score a cart without writing anything",
    responses={
        409: {"description": "`buyer_may_not_redeem`: the profile names its redeemers and the buyer is not one"}
    },
)
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
        409: {
            "description": "the same order_id with another payload, a code or redemption that cannot apply, or "
            "`buyer_may_not_redeem` (the profile names its redeemers and the buyer is not one)"
        },
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


@cache
def returns() -> ReturnService:
    return ReturnService(DynamoOrderStore())


@app.post(
    "/orders/<order_id>/cancel",
    summary="Reverse an order (what its returns left); cancelling twice changes nothing",
    responses={
        404: {"description": "no such order"},
        422: {"description": "a body was sent: a partial return is a return (POST /orders/{order_id}/returns)"},
    },
)
def cancel(order_id: OrderId) -> Cancelled:
    _refuse_body()
    record = orders().cancel(order_id)
    return Cancelled(
        order_id=record.order_id,
        points_reversed=record.points_reversed or 0,
        balance=record.balance_after_cancel or 0,
    )


@app.post(
    "/orders/<order_id>/returns",
    summary="Return some lines of an order: its points reversed in proportion; exactly once per return_id",
    responses={
        200: {
            "description": "the same return was made before: its answer again",
            "content": {"application/json": {"model": ReturnBody}},
        },
        201: {"description": "the lines are returned", "content": {"application/json": {"model": ReturnBody}}},
        404: {"description": "no such order"},
        409: {
            "description": "`return_exceeds_order` (more of a sku than the order has left to return, or the order "
            "is cancelled), `return_conflict` (the same return_id with other lines) or `contended` (retry)"
        },
    },
)
def return_lines(order_id: OrderId, request: Annotated[ReturnRequest, Body()]) -> Response[ReturnBody]:
    outcome = returns().return_lines(order_id, request)
    if outcome.created:
        metrics.add_metric(name="OrdersReturned", unit=MetricUnit.Count, value=1)
    result = outcome.result
    logger.info(
        "order returned", extra={"order_id": order_id, "return_id": result.return_id, "replayed": not outcome.created}
    )
    return Response(
        status_code=HTTPStatus.CREATED if outcome.created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=ReturnBody(
            order_id=outcome.order_id,
            return_id=result.return_id,
            points_reversed=result.points_reversed,
            points_restored=result.points_restored,
            balance=result.balance,
        ),
    )


def _refuse_body() -> None:
    """A cancel reverses the whole order; lines sent with it would be silently ignored, so they are refused."""
    body = (app.current_event.body or "").strip()
    if body and body not in ("{}", "null"):
        raise InvalidInput(
            "a cancel takes no body: a partial return is a return (POST /orders/{order_id}/returns)",
            [FieldError(field="body", message="must be empty", type="body_not_allowed")],
        )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
