"""Referrals: get or create an account's stable referral code. Thin handler."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_api.http import create_resolver
from loyalty_api.referrals import ReferralCodeBody
from loyalty_aws.referrals import DynamoReferralStore
from loyalty_service.referrals import ReferralService

logger = Logger()
metrics = Metrics()
app = create_resolver()

CustomerId = Annotated[str, Path(min_length=1, max_length=200)]


@cache
def referrals() -> ReferralService:
    return ReferralService(DynamoReferralStore())


@app.post(
    "/customers/<customer_id>/referral-code",
    summary="The account's referral code: 201 when created now, 200 when it existed",
    responses={
        200: {
            "description": "the account's code, created by an earlier request",
            "content": {"application/json": {"model": ReferralCodeBody}},
        },
        201: {
            "description": "the code was created by this request",
            "content": {"application/json": {"model": ReferralCodeBody}},
        },
        409: {"description": "the account kept changing under concurrent requests; retry"},
    },
)
def referral_code(customer_id: CustomerId) -> Response[ReferralCodeBody]:
    issued = referrals().code_for(customer_id)
    if issued.created:
        metrics.add_metric(name="ReferralCodesIssued", unit=MetricUnit.Count, value=1)
        logger.info("referral code issued", extra={"customer_id": customer_id})
    body = ReferralCodeBody(code=issued.code.code, referrals=issued.code.referrals)
    return Response(
        status_code=HTTPStatus.CREATED if issued.created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=body,
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
