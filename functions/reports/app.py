"""Reports for program managers: the KPIs of a window, and a backtest of a candidate program. Thin handler."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.backtest import BacktestResult
from loyalty.kpis import KpiReport
from loyalty_api.http import create_resolver
from loyalty_api.reports import BacktestRequest
from loyalty_aws.programs import DynamoProgramStore
from loyalty_aws.reports import DynamoKpiStore, DynamoOrderArchive
from loyalty_service.backtest import BacktestService
from loyalty_service.kpis import KpiService
from loyalty_service.programs import ProgramSource

logger = Logger()
metrics = Metrics()
app = create_resolver()


@cache
def kpis() -> KpiService:
    return KpiService(DynamoKpiStore(), ProgramSource(DynamoProgramStore()))


@cache
def backtests() -> BacktestService:
    return BacktestService(DynamoOrderArchive(), ProgramSource(DynamoProgramStore()))


@app.get(
    "/admin/kpis",
    summary="Program KPIs of a window of UTC days (default: the last 30 full days), with per-rule attribution",
    responses={422: {"description": "from after to, or more than 366 days"}},
)
def get_kpis(
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> KpiReport:
    report = kpis().report(start, end)
    logger.info("kpis read", extra={"from": report.start.isoformat(), "to": report.to.isoformat()})
    return report


@app.post(
    "/admin/backtest",
    summary="Replay a window of stored orders under a candidate program and the version in force",
    responses={422: {"description": "an invalid candidate (field paths), or a window of more than 100,000 orders"}},
)
def post_backtest(request: Annotated[BacktestRequest, Body()]) -> BacktestResult:
    result = backtests().run(request.program, request.start, request.end)
    metrics.add_metric(name="BacktestsRun", unit=MetricUnit.Count, value=1)
    logger.info("backtest run", extra={"orders": result.baseline.orders, "from": request.start.isoformat()})
    return result


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
