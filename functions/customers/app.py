"""Customers: profile upserts, the account summary, the ledger, buyers, NPS answers, GDPR erasure. Thin handler."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.membership import MembershipRequest
from loyalty.profile import Profile
from loyalty_api.customers import (
    AccountSummaryBody,
    BuyerLine,
    BuyersBody,
    Erased,
    LedgerBody,
    LedgerLine,
    MembershipBody,
    NpsRequest,
    TierHistoryBody,
    TierHistoryLine,
)
from loyalty_api.http import create_resolver, error_response
from loyalty_aws.customers import DynamoCustomerStore
from loyalty_aws.idempotency import IDEMPOTENCY, PowertoolsOnce
from loyalty_aws.programs import DynamoProgramStore
from loyalty_aws.surveys import DynamoSurveyStore
from loyalty_service.customers import CustomerService
from loyalty_service.programs import ProgramSource
from loyalty_service.surveys import SurveyAnswer, SurveyService

logger = Logger()
metrics = Metrics()
app = create_resolver()

CustomerId = Annotated[str, Path(min_length=1, max_length=200)]
NOT_FOUND: dict[int, OpenAPIResponse] = {404: {"description": "no such account"}}


@cache
def customers() -> CustomerService:
    programs = ProgramSource(DynamoProgramStore())
    return CustomerService(DynamoCustomerStore(), programs)


@cache
def surveys() -> SurveyService:
    return SurveyService(DynamoSurveyStore(), once=PowertoolsOnce("nps"))


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _in_progress(error: IdempotencyAlreadyInProgressError) -> Response[Any]:
    return error_response(HTTPStatus.CONFLICT, "request_in_progress", "the same request is being handled; retry it")


@app.put(
    "/customers/<customer_id>",
    summary="Create or replace the account's profile; answers the summary",
    responses={409: {"description": "the account's item is full (`item_too_large`): nothing was written"}},
)
def put_profile(customer_id: CustomerId, profile: Annotated[Profile, Body()]) -> AccountSummaryBody:
    summary = customers().update_profile(customer_id, profile)
    metrics.add_metric(name="ProfilesUpdated", unit=MetricUnit.Count, value=1)
    logger.info("profile updated", extra={"customer_id": customer_id, "email_opt_in": profile.email_opt_in})
    return AccountSummaryBody.of(summary)


@app.get("/customers/<customer_id>", summary="The account summary: balance, tier progress, codes", responses=NOT_FOUND)
def get_summary(customer_id: CustomerId) -> AccountSummaryBody:
    return AccountSummaryBody.of(customers().summary(customer_id))


@app.put(
    "/customers/<customer_id>/membership",
    summary="Enrol, renew or end the account's membership (invite and paid programs); idempotent",
    description=(
        '`{"member": true, "until"?, "since"?}` enrols the account, `since` being the time of the request '
        "unless a `since` is sent to backdate it (years 2000-2200, like every time). The same PUT on a "
        "membership still running renews it: `since` is kept and `until` set (null: no end). In a `paid` "
        'program `until` is required (422 on `until`). `{"member": false}` ends it: `until` becomes the '
        "time of the request. An account never stored is created. Answers `{member, since, until}`, "
        "`member` meaning a member at the time of the request. An order is a member's when "
        "`since <= placed_at` and (`until` is null or `placed_at < until`)."
    ),
    responses={409: {"description": "the account changed meanwhile beyond retrying, or its item is full"}},
)
def put_membership(customer_id: CustomerId, request: Annotated[MembershipRequest, Body()]) -> MembershipBody:
    status = customers().set_membership(customer_id, request)
    metrics.add_metric(name="MembershipsChanged", unit=MetricUnit.Count, value=1)
    logger.info("membership changed", extra={"customer_id": customer_id, "member": status.member})
    return MembershipBody.of(status)


@app.get("/customers/<customer_id>/ledger", summary="Points entries, newest first, paged", responses=NOT_FOUND)
def get_ledger(
    customer_id: CustomerId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2000)] = None,
) -> LedgerBody:
    page = customers().ledger(customer_id, limit=limit, cursor=cursor)
    return LedgerBody(entries=tuple(LedgerLine.of(entry) for entry in page.entries), next_cursor=page.next_cursor)


@app.get(
    "/customers/<customer_id>/buyers",
    summary="Per buyer of the company: standing orders, revenue, points earned and redeemed",
    responses=NOT_FOUND,
)
def get_buyers(customer_id: CustomerId) -> BuyersBody:
    return BuyersBody(buyers=tuple(BuyerLine.of(buyer) for buyer in customers().buyers(customer_id)))


@app.get(
    "/customers/<customer_id>/tier-history",
    summary="Every tier change with its reason (an order or the nightly review), newest first, paged",
    responses=NOT_FOUND,
)
def get_tier_history(
    customer_id: CustomerId,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=2000)] = None,
) -> TierHistoryBody:
    page = customers().tier_history(customer_id, limit=limit, cursor=cursor)
    return TierHistoryBody(
        entries=tuple(TierHistoryLine.of(entry) for entry in page.entries), next_cursor=page.next_cursor
    )


@app.post(
    "/customers/<customer_id>/nps",
    summary="Record a 0-10 survey score; a retried request counts once (201 again, same body)",
    status_code=HTTPStatus.CREATED,
    responses={409: {"description": "the same request is being handled right now; retry it"}},
)
def post_nps(customer_id: CustomerId, answer: Annotated[NpsRequest, Body()]) -> SurveyAnswer:
    recorded = surveys().record(customer_id, answer.score, answer.answered_at)
    if recorded.created:
        metrics.add_metric(name="NpsRecorded", unit=MetricUnit.Count, value=1)
    logger.info("nps answer", extra={"customer_id": customer_id, "replayed": not recorded.created})
    return recorded.answer


@app.delete("/customers/<customer_id>", summary="Erase personal data (GDPR); points stay", responses=NOT_FOUND)
def erase(customer_id: CustomerId) -> Erased:
    erasure = customers().erase(customer_id)
    metrics.add_metric(name="CustomersErased", unit=MetricUnit.Count, value=1)
    logger.info(
        "customer erased",
        extra={"customer_id": customer_id, "ledger_entries": erasure.ledger_entries, "orders": erasure.orders},
    )
    return Erased(customer_id=customer_id, erased=True)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY.register_lambda_context(context)
    return app.resolve(event, context)
