"""Admin: validate and activate a program version; read the active one. Thin handler."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_api.admin import ProgramVersion
from loyalty_api.http import create_resolver
from loyalty_aws.programs import DynamoProgramStore
from loyalty_service.admin import ProgramAdmin
from loyalty_service.programs import ProgramSource

logger = Logger()
metrics = Metrics()
app = create_resolver()


@cache
def admin() -> ProgramAdmin:
    return ProgramAdmin(ProgramSource(DynamoProgramStore(), ttl_seconds=0))  # admins read the latest, uncached


@app.put(
    "/admin/program",
    summary="Validate a program document and activate it as a new version (earlier versions stay)",
    status_code=HTTPStatus.CREATED,
    responses={409: {"description": "other versions were being activated at the same moment; send it again"}},
)
def put_program(document: Annotated[dict[str, Any], Body()]) -> ProgramVersion:
    active = admin().activate(document)
    metrics.add_metric(name="ProgramsActivated", unit=MetricUnit.Count, value=1)
    logger.info("program activated", extra={"version": active.version})
    return ProgramVersion.of(active)


@app.get(
    "/admin/program",
    summary="The active program version",
    responses={503: {"description": "no program has been activated yet"}},
)
def get_program() -> ProgramVersion:
    return ProgramVersion.of(admin().active())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
