"""The resolver every API function uses, and the one error envelope all of them answer with.

``{"error": {"code": "...", "message": "...", "details": [{"field", "message", "type"}]}}``:
400 for a body that cannot be read as JSON, 413 for one over 1 MB, 415 for one sent as another
media type, 422 for input that does not fit (field by field), 404 for what does not exist, 409 for
what cannot be done in the current state, 503 before a program is active. Domain errors are mapped
here, once, by type; never by their message text.

Reading the request happens here too, once for every route: the body (size, media type, UTF-8,
JSON nesting and number lengths) and the path parameters (percent-decoded).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestUnsupportedContentType, RequestValidationError
from aws_lambda_powertools.event_handler.types import EventHandlerInstance

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

MAX_BODY_BYTES = 1024 * 1024
"""Bodies over 1 MB are refused (413) before they are read: no order, program or backtest needs more."""
MAX_DEPTH = 64
"""JSON nested deeper than this is refused (400): no document of the API nests more than a few levels."""
MAX_DIGITS = 40
"""Numbers written with more digits than this are refused (400) before they are converted."""


class UnreadableRequest(Exception):
    """A request the API cannot read at all: 400 (not JSON), 413 (too large) or 415 (another media type)."""

    def __init__(self, status: HTTPStatus, code: str, message: str, details: Iterable[FieldError] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details)


def _unreadable(message: str, problem: str = "json_invalid") -> UnreadableRequest:
    return UnreadableRequest(
        HTTPStatus.BAD_REQUEST, "malformed_body", message, [FieldError(field="body", message=message, type=problem)]
    )


def _number(text: str) -> Decimal | int:
    digits = sum(character.isdigit() for character in text)
    if digits > MAX_DIGITS:
        raise _unreadable(f"a number has {digits} digits; at most {MAX_DIGITS} are read", "number_too_long")
    return Decimal(text) if any(mark in text for mark in ".eE") else int(text)


def _constant(text: str) -> Any:
    raise _unreadable(f"{text} is not a JSON number")


def _check_tree(document: Any) -> None:
    """Nesting at most ``MAX_DEPTH`` and text that is valid Unicode (no lone surrogate written as ``\\ud800``)."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise _unreadable(f"the JSON nests deeper than {MAX_DEPTH} levels", "json_too_deep")
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise _unreadable(
                    "a string holds a lone surrogate, which is not a character", "string_unicode"
                ) from None


def exact_json(text: str) -> Any:
    """A request body as JSON: ``0.45`` kept as ``Decimal('0.45')`` (a float would be the first rounding).

    Every way a text can fail to be a JSON document the API reads is an ``UnreadableRequest`` (400):
    a syntax error, ``NaN``, a number of more than ``MAX_DIGITS`` digits, nesting deeper than ``MAX_DEPTH``.
    """
    try:
        document = json.loads(text, parse_float=_number, parse_int=_number, parse_constant=_constant)
    except json.JSONDecodeError as error:
        raise _unreadable(f"the body is not JSON: {error.msg} at line {error.lineno} column {error.colno}") from error
    except RecursionError:
        raise _unreadable(f"the JSON nests deeper than {MAX_DEPTH} levels", "json_too_deep") from None
    _check_tree(document)
    return document


def _media_type(headers: Mapping[str, str]) -> str | None:
    value = next((value for name, value in headers.items() if name.lower() == "content-type"), None)
    return None if value is None else value.split(";", 1)[0].strip().lower()


def _wrong_media_type(media_type: str, text: str) -> UnreadableRequest:
    looks_like_json = text.lstrip()[:1] in ("{", "[")
    hint = (
        "the body looks like JSON, but the content-type header says "
        f"{media_type}: send the header content-type: application/json"
        if looks_like_json
        else f"the body is sent as {media_type}; the API reads JSON only: send it with content-type: application/json"
    )
    return UnreadableRequest(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        hint,
        [FieldError(field="content-type", message=f"is {media_type}, must be application/json", type="content_type")],
    )


def read_body(body: str | None, *, base64_encoded: bool, headers: Mapping[str, str]) -> Any:
    """The JSON document a proxy event carries, or ``None`` without a body.

    A body without a content-type header is read as JSON; one declared as anything but
    ``application/json`` (forms, multipart, text) is a 415 whose message says which header to send.
    """
    if not body:
        return None
    if len(body) > (MAX_BODY_BYTES * 4) // 3 + 4:
        raise _too_large()
    if base64_encoded:
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise _unreadable("the body is marked base64 but is not", "base64_invalid") from None
    else:
        data = body.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _unreadable("the body is not UTF-8 text", "encoding_invalid") from None
    media_type = _media_type(headers)
    if media_type is not None and media_type != "application/json" and not media_type.endswith("+json"):
        raise _wrong_media_type(media_type, text)
    return exact_json(text)


def _too_large() -> UnreadableRequest:
    return UnreadableRequest(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "body_too_large",
        f"the body is over {MAX_BODY_BYTES} bytes",
        [FieldError(field="body", message=f"at most {MAX_BODY_BYTES} bytes", type="too_large")],
    )


def decode_path_parameters(values: Mapping[str, str]) -> dict[str, str]:
    """Path parameters as the caller meant them: ``M%C3%BCller`` is ``Müller``, ``ACME%20Nord`` is ``ACME Nord``.

    API Gateway REST APIs (v1 proxy events) pass ``path`` and ``pathParameters`` as the client sent
    them, still percent-encoded (HTTP APIs decode; REST APIs do not). Powertools matches its routes
    against ``path`` and takes the values from that match without decoding, and the local gateway
    passes ``path`` encoded too. So the values are decoded here, exactly once, for every route: a
    literal ``%`` arrives as ``%25`` and comes out as ``%``, never decoded a second time.
    """
    decoded = {}
    for name, value in values.items():
        try:
            decoded[name] = unquote(value, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise RequestValidationError(
                [
                    {
                        "type": "string_unicode",
                        "loc": ("path", name),
                        "msg": "is not percent-encoded UTF-8",
                        "input": value,
                    }
                ]
            ) from None
    return decoded


class RequestReader(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, with the path and the body read the API's way (see above)."""

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        app.context["_route_args"] = decode_path_parameters(app.context.get("_route_args", {}))
        return super().handler(app, next_middleware)

    def _get_body(self, app: EventHandlerInstance) -> Any:
        event = app.current_event
        return read_body(event.body, base64_encoded=bool(event.is_base64_encoded), headers=event.headers or {})


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
    # The request validation every route runs first (powertools keeps it here and adds it to each
    # route's middleware stack), reading the path and the body as described at the top of the module.
    app._request_validation_middleware = RequestReader()

    @app.exception_handler(UnreadableRequest)
    def _unreadable_request(error: UnreadableRequest) -> Response[Any]:
        logger.info("request unreadable", extra={"error_code": error.code, "status": int(error.status)})
        return error_response(error.status, error.code, error.message, error.details)

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
