"""The digest's unsubscribe link: a signed token turns the account's digest off. Public: the token is the key.

A GET only answers a confirmation page (mail scanners and previews open every link); its button POSTs to
the same link, as RFC 8058's one-click POST (``List-Unsubscribe-Post``) does, and the POST unsubscribes.
"""

from __future__ import annotations

from html import escape
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import urlencode

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
<meta name="robots" content="noindex"><title>{title}</title></head>
<body style="font-family: Helvetica, Arial, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem;
color: #1f2933;">
<h1 style="font-size: 1.4rem;">{title}</h1><p>{text}</p>{form}</body></html>
"""

# The button posts what an RFC 8058 one-click client posts, to the same link: one POST handler for both.
FORM = """<form method="post" action="?{query}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit" style="font-size: 1rem; padding: 0.6rem 1.2rem;">Unsubscribe</button></form>"""


def page(status: HTTPStatus, title: str, text: str, form: str = "") -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.TEXT_HTML,
        headers={"Cache-Control": "no-store"},
        body=PAGE.format(title=escape(title), text=escape(text), form=form),
    )


def invalid_link() -> Response[Any]:
    metrics.add_metric(name="UnsubscribeRefused", unit=MetricUnit.Count, value=1)
    return page(HTTPStatus.BAD_REQUEST, "This link is not valid", "Please use the link from your latest email.")


def confirmation(token: str) -> Response[Any]:
    """What a plain GET answers: mail scanners and link previews follow links, so it changes nothing."""
    try:
        customer_of(token, signing_key())
    except InvalidToken:
        return invalid_link()
    form = FORM.format(query=escape(urlencode({"token": token})))
    return page(HTTPStatus.OK, "Unsubscribe from the rewards summary?", "Press the button to stop these emails.", form)


def unsubscribe(token: str) -> Response[Any]:
    try:
        customer_id = customer_of(token, signing_key())
    except InvalidToken:
        return invalid_link()
    opt_out(customer_id)
    metrics.add_metric(name="Unsubscribed", unit=MetricUnit.Count, value=1)
    return page(HTTPStatus.OK, "You are unsubscribed", "You will no longer receive the rewards summary by email.")


HTML = {"text/html": {"schema": {"type": "string"}}}
PAGES = {
    200: {"description": "an HTML page that says what was done", "content": HTML},
    400: {"description": "an HTML page: the token is not one this service signed", "content": HTML},
}


@app.get(
    "/unsubscribe",
    summary="The digest's unsubscribe link: a page whose button turns the digest off (the GET changes nothing)",
    responses=PAGES,
)
def unsubscribe_link(token: Token) -> Response[Any]:
    return confirmation(token)


@app.post(
    "/unsubscribe",
    summary="Turn the digest off: one-click (RFC 8058) from mail clients, or the confirmation page's button",
    responses=PAGES,
)
def unsubscribe_one_click(token: Token) -> Response[Any]:
    return unsubscribe(token)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
