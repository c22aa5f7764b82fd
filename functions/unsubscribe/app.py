"""The digest's unsubscribe link: a signed token turns the account's digest off. Public: the token is the key."""

from __future__ import annotations

from html import escape
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty_api.http import create_resolver
from loyalty_aws.unsubscribe import opt_out, signing_key
from loyalty_digest.unsubscribe import InvalidToken
from loyalty_service.unsubscribe import customer_of

logger = Logger()
metrics = Metrics()
app = create_resolver()

Token = Annotated[str, Query(min_length=1, max_length=1000)]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: Helvetica, Arial, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem;
color: #1f2933;">
<h1 style="font-size: 1.4rem;">{title}</h1><p>{text}</p></body></html>
"""


def page(status: HTTPStatus, title: str, text: str) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.TEXT_HTML,
        body=PAGE.format(title=escape(title), text=escape(text)),
    )


def unsubscribe(token: str) -> Response[Any]:
    try:
        customer_id = customer_of(token, signing_key())
    except InvalidToken:
        metrics.add_metric(name="UnsubscribeRefused", unit=MetricUnit.Count, value=1)
        return page(HTTPStatus.BAD_REQUEST, "This link is not valid", "Please use the link from your latest email.")
    opt_out(customer_id)
    metrics.add_metric(name="Unsubscribed", unit=MetricUnit.Count, value=1)
    return page(HTTPStatus.OK, "You are unsubscribed", "You will no longer receive the rewards summary by email.")


HTML = {"text/html": {"schema": {"type": "string"}}}
PAGES = {
    200: {"description": "an HTML page that says what was done", "content": HTML},
    400: {"description": "an HTML page: the token is not one this service signed", "content": HTML},
}


@app.get("/unsubscribe", summary="Turn the digest off (the link in every digest)", responses=PAGES)
def unsubscribe_link(token: Token) -> Response[Any]:
    return unsubscribe(token)


@app.post("/unsubscribe", summary="One-click unsubscribe (RFC 8058), as mail clients send it", responses=PAGES)
def unsubscribe_one_click(token: Token) -> Response[Any]:
    return unsubscribe(token)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
