"""Rewards: the catalog with its stock, claims with points, their fulfilment and cancel. Thin handler."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.claims import ClaimRequest
from loyalty_api.http import create_resolver
from loyalty_api.operations import ClaimBody, ClaimLine, ClaimsBody, RewardBody, RewardsBody
from loyalty_aws.claims import DynamoClaimStore
from loyalty_aws.programs import DynamoProgramStore
from loyalty_service.claims import ClaimService
from loyalty_service.programs import ProgramSource

logger = Logger()
metrics = Metrics()
app = create_resolver()

CustomerId = Annotated[str, Path(min_length=1, max_length=200)]
ClaimId = Annotated[str, Path(min_length=1, max_length=200)]
NO_CLAIM: dict[int, OpenAPIResponse] = {404: {"description": "no such claim"}}


@cache
def claims() -> ClaimService:
    return ClaimService(DynamoClaimStore(), ProgramSource(DynamoProgramStore()))


@app.get(
    "/rewards",
    summary="The active program's rewards catalog, with the units left",
    responses={503: {"description": "no program has been activated yet"}},
)
def get_rewards() -> RewardsBody:
    return RewardsBody(rewards=tuple(RewardBody.of(entry) for entry in claims().catalog()))


@app.post(
    "/customers/<customer_id>/claims",
    summary="Claim a reward with points (oldest lots first) and one unit of its stock; exactly once per claim_id",
    responses={
        200: {
            "description": "the same claim was made before: its answer again",
            "content": {"application/json": {"model": ClaimBody}},
        },
        201: {
            "description": "the claim was made by this request",
            "content": {"application/json": {"model": ClaimBody}},
        },
        404: {"description": "no such account, or no such reward in the active program"},
        409: {
            "description": "`insufficient_points`, `out_of_stock`, `claim_conflict` (the same claim_id for "
            "another reward, account or buyer), `buyer_may_not_redeem` (the profile names its redeemers and the "
            "buyer is not one) or `contended` (retry)"
        },
    },
)
def claim(customer_id: CustomerId, request: Annotated[ClaimRequest, Body()]) -> Response[ClaimBody]:
    made = claims().claim(customer_id, request)
    if made.created:
        metrics.add_metric(name="RewardsClaimed", unit=MetricUnit.Count, value=1)
    logger.info(
        "reward claimed",
        extra={"customer_id": customer_id, "reward_id": request.reward_id, "replayed": not made.created},
    )
    return Response(
        status_code=HTTPStatus.CREATED if made.created else HTTPStatus.OK,
        content_type=content_types.APPLICATION_JSON,
        body=ClaimBody.made(made.record),
    )


@app.get(
    "/customers/<customer_id>/claims",
    summary="The account's claims, newest first, paged",
    responses={404: {"description": "no such account"}},
)
def list_claims(
    customer_id: CustomerId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2000)] = None,
) -> ClaimsBody:
    page = claims().claims(customer_id, limit=limit, cursor=cursor)
    return ClaimsBody(claims=tuple(ClaimLine.of(record) for record in page.claims), next_cursor=page.next_cursor)


@app.post(
    "/admin/claims/<claim_id>/fulfil",
    summary="Mark a claim delivered (idempotent)",
    responses={**NO_CLAIM, 409: {"description": "`claim_cancelled`: a cancelled claim cannot be fulfilled"}},
)
def fulfil(claim_id: ClaimId) -> ClaimBody:
    record = claims().fulfil(claim_id)
    logger.info("claim fulfilled", extra={"claim_id": claim_id})
    return ClaimBody.now(record)


@app.post(
    "/admin/claims/<claim_id>/cancel",
    summary="Cancel a claim: the points back to their lots, the unit back to the stock (idempotent)",
    responses={**NO_CLAIM, 409: {"description": "`claim_fulfilled`: a fulfilled claim cannot be cancelled"}},
)
def cancel(claim_id: ClaimId) -> ClaimBody:
    record = claims().cancel(claim_id)
    metrics.add_metric(name="ClaimsCancelled", unit=MetricUnit.Count, value=1)
    logger.info("claim cancelled", extra={"claim_id": claim_id})
    return ClaimBody.now(record)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
