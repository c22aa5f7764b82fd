"""The resolver every API function uses, and the one error envelope all of them answer with.

``{"error": {"code": "...", "message": "...", "details": [{"field", "message", "type"}]}}``:
422 for input that does not fit (field by field), 404 for what does not exist, 409 for what
cannot be done in the current state, 503 before a program is active. Domain errors are mapped
here, once, by type; never by their message text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError

from loyalty.errors import Conflict, FieldError, InvalidInput, LoyaltyError, NotConfigured, NotFound
from loyalty.program import RULE_KINDS

logger = Logger(child=True)

STATUS_OF: tuple[tuple[type[LoyaltyError], HTTPStatus], ...] = (
    (InvalidInput, HTTPStatus.UNPROCESSABLE_ENTITY),
    (NotFound, HTTPStatus.NOT_FOUND),
    (Conflict, HTTPStatus.CONFLICT),
    (NotConfigured, HTTPStatus.SERVICE_UNAVAILABLE),
)
_REQUEST_PARTS = {"body", "query", "path", "header"}

exact_json = partial(json.loads, parse_float=Decimal)
"""Request bodies keep ``0.45`` as ``Decimal('0.45')``: a float would be the first rounding."""


def error_response(status: HTTPStatus, code: str, message: str, details: Iterable[FieldError] = ()) -> Response[Any]:
    body = {"error": {"code": code, "message": message, "details": [detail.model_dump() for detail in details]}}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def request_field_errors(errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Powertools' validation errors as field errors: ``lines.0.quantity``, not ``body.lines.0.quantity``."""
    details = []
    for error in errors:
        location = [*error.get("loc", ()), *(error.get("ctx") or {}).get("at", ())]
        if location and location[0] in _REQUEST_PARTS and (len(location) > 1 or location[0] != "body"):
            location = location[1:]
        location = [part for part in location if part not in RULE_KINDS]
        details.append(
            FieldError(
                field=".".join(str(part) for part in location) or "body",
                message=str(error.get("msg", "is not valid")),
                type=str(error.get("type", "invalid")),
            )
        )
    return details


def admin_label(app: APIGatewayRestResolver) -> str:
    """The label of the API key that called, as the authorizer put it in the request context."""
    authorizer = app.current_event.request_context.authorizer
    return str(authorizer.get("label") or authorizer.get("principalId") or "unknown")


def create_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=exact_json)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[Any]:
        details = request_field_errors(error.errors())
        return error_response(HTTPStatus.UNPROCESSABLE_ENTITY, "validation_error", "the request is not valid", details)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(error: RequestUnsupportedContentType) -> Response[Any]:
        return error_response(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
            [FieldError(field="content-type", message="must be application/json", type="content_type")],
        )

    @app.exception_handler(LoyaltyError)
    def _domain(error: LoyaltyError) -> Response[Any]:
        status = next((status for kind, status in STATUS_OF if isinstance(error, kind)), HTTPStatus.BAD_REQUEST)
        details = error.details if isinstance(error, InvalidInput) else ()
        logger.info("request refused", extra={"error_code": error.code, "status": int(status)})
        return error_response(status, error.code, error.message, details)

    @app.not_found
    def _no_route(error: NotFoundError) -> Response[Any]:
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such route")

    return app
