"""Admin: program versions (store at once or staged, list, read, roll back). Thin handler."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_api.admin import ProgramVersion, VersionList, VersionSummary
from loyalty_api.http import admin_label, create_resolver
from loyalty_aws.programs import DynamoProgramStore
from loyalty_service.admin import ProgramAdmin
from loyalty_service.programs import ProgramSource

logger = Logger()
metrics = Metrics()
app = create_resolver()

VersionNumber = Annotated[int, Path(ge=1, le=1_000_000_000)]
NO_VERSION = {404: {"description": "no such program version"}}


@cache
def admin() -> ProgramAdmin:
    return ProgramAdmin(ProgramSource(DynamoProgramStore()))


@app.put(
    "/admin/program",
    summary="Validate a program document and store it as the next version: in force at once, or from activates_at",
    status_code=HTTPStatus.CREATED,
    responses={409: {"description": "other versions were being activated at the same moment; send it again"}},
)
def put_program(document: Annotated[dict[str, Any], Body()]) -> ProgramVersion:
    stored = admin().activate(document, by=admin_label(app))
    metrics.add_metric(name="ProgramsActivated", unit=MetricUnit.Count, value=1)
    logger.info("program version stored", extra={"version": stored.version, "status": stored.status})
    return ProgramVersion.of(stored)


@app.get(
    "/admin/program",
    summary="The version in force now",
    responses={503: {"description": "no program has been activated yet"}},
)
def get_program() -> ProgramVersion:
    return ProgramVersion.of(admin().active())


@app.get("/admin/program/versions", summary="Every stored version, newest first")
def list_versions() -> VersionList:
    return VersionList(versions=[VersionSummary.of(view) for view in admin().versions()])


@app.get("/admin/program/versions/<version>", summary="One stored version", responses=NO_VERSION)
def get_version(version: VersionNumber) -> ProgramVersion:
    return ProgramVersion.of(admin().version(version))


@app.post(
    "/admin/program/versions/<version>/activate",
    summary="Put a stored version back in force now (a rollback)",
    responses=NO_VERSION,
)
def activate_version(version: VersionNumber) -> ProgramVersion:
    restored = admin().rollback(version, by=admin_label(app))
    metrics.add_metric(name="ProgramsRolledBack", unit=MetricUnit.Count, value=1)
    logger.info("program version restored", extra={"version": restored.version})
    return ProgramVersion.of(restored)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
