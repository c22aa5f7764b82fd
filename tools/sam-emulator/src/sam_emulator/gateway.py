"""API Gateway (REST API, Lambda proxy integration) in front of the template's functions, as a WSGI app.

Routes are the functions' ``Type: Api`` events; each request becomes the v1 proxy event API Gateway
would build, guarded by the route's Lambda authorizer (``Auth.Authorizer``, else the API's
``DefaultAuthorizer``; ``NONE`` is public). Authorizers are REQUEST (or TOKEN) authorizers: a missing
identity source is a 401 without invoking; the returned IAM policy is cached per (authorizer,
identity) for ``ReauthorizeEvery`` seconds and evaluated against each request's method ARN; its
``principalId`` and ``context`` reach the handler as ``requestContext.authorizer``. Errors the gateway
itself answers (401, 403, unknown route, 413 for a body over 10 MB, 429 past the stage's ``MethodSettings``
throttle or past a key's usage plan, authorizer failures, a failing or malformed integration: 502) take their
status and body from the API's ``GatewayResponses``, with API Gateway's defaults otherwise. Methods that
require an API key are metered per key by the template's usage plans (``sam_emulator.usage``).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sam_emulator.lambdas import Functions
from sam_emulator.template import ACCOUNT_ID, Api, ApiRoute, Authorizer, Stack, api_id
from sam_emulator.usage import UsageMeter

log = logging.getLogger("sam_emulator.gateway")

PATH_PARAMETER = re.compile(r"\{([^}]+)\}")
PROXY_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
DEFAULT_BINARY_MEDIA_TYPES = (
    "application/octet-stream",
    "application/pdf",
    "application/zip",
    "image/*",
    "audio/*",
    "video/*",
)
"""Bodies sent base64-encoded to the function (besides the API's own ``BinaryMediaTypes``)."""


@dataclass(frozen=True)
class GatewayError:
    status: int
    message: str | None
    error_type: str


GATEWAY_ERRORS = {
    "MISSING_AUTHENTICATION_TOKEN": GatewayError(
        403, "Missing Authentication Token", "MissingAuthenticationTokenException"
    ),
    "UNAUTHORIZED": GatewayError(401, "Unauthorized", "UnauthorizedException"),
    "ACCESS_DENIED": GatewayError(403, "User is not authorized to access this resource", "AccessDeniedException"),
    "AUTHORIZER_FAILURE": GatewayError(500, None, "AuthorizerConfigurationException"),
    "AUTHORIZER_CONFIGURATION_ERROR": GatewayError(500, None, "AuthorizerConfigurationException"),
    "THROTTLED": GatewayError(429, "Too Many Requests", "TooManyRequestsException"),
    "QUOTA_EXCEEDED": GatewayError(429, "Limit Exceeded", "LimitExceededException"),
    # A metered method called with no API key, or one in no usage plan of the API.
    "API_KEY_MISSING": GatewayError(403, "Forbidden", "ForbiddenException"),
    "INVALID_API_KEY": GatewayError(403, "Forbidden", "ForbiddenException"),
    # A body over MAX_PAYLOAD_BYTES: refused before the authorizer and the function.
    "REQUEST_TOO_LARGE": GatewayError(413, "Request Too Long", "RequestTooLargeException"),
    # A function that raised, or answered something that is not a proxy response: no type of its own.
    "DEFAULT_5XX": GatewayError(502, "Internal server error", "InternalServerErrorException"),
}
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""REST APIs refuse request bodies over 10 MB (10,485,760 bytes), a hard quota of API Gateway."""
EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"


def werkzeug_rule(path: str) -> tuple[str, dict[str, str]]:
    """``/orders/{order_id}/cancel`` as a werkzeug rule, and the rule's variable names -> template names."""
    names: dict[str, str] = {}

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        safe = f"p{len(names)}"
        names[safe] = name.removesuffix("+")
        return f"<path:{safe}>" if name.endswith("+") else f"<{safe}>"

    return PATH_PARAMETER.sub(variable, path), names


def matches(pattern: str, value: str) -> bool:
    """IAM wildcard matching: ``*`` any run of characters (``/`` included), ``?`` one character."""
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def policy_effect(policy: Mapping[str, Any], method_arn: str) -> str | None:
    """``Deny`` if any statement denies invoking ``method_arn``, else ``Allow`` if one allows it, else None."""
    statements = policy.get("Statement", [])
    allowed = False
    for statement in [statements] if isinstance(statements, Mapping) else statements:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not any(matches(action.lower(), "execute-api:invoke") for action in actions):
            continue
        if not any(matches(resource, method_arn) for resource in resources):
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        allowed = allowed or statement.get("Effect") == "Allow"
    return "Allow" if allowed else None


def is_binary(content_type: str | None, binary_types: Sequence[str]) -> bool:
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    return bool(mimetype) and any(fnmatch.fnmatchcase(mimetype, pattern.lower()) for pattern in binary_types)


def single_and_multi(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """API Gateway's two views of repeated names: the last value, and every value in order."""
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    if not multi:
        return None, None
    return {name: values[-1] for name, values in multi.items()}, multi


@dataclass(frozen=True)
class Grant:
    """An authorizer's answer: who, the IAM policy, and the context for the integration."""

    principal_id: str
    policy: Mapping[str, Any]
    context: Mapping[str, str]
    usage_identifier_key: str | None = None


class Refusal(Exception):
    """The gateway answers for itself (401, 403, 500) instead of calling the integration."""

    def __init__(self, kind: str, message: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.message = message
        self.headers = headers


class TokenBucket:
    """API Gateway's throttling: ``rate`` requests a second on average, bursts of up to ``burst``."""

    def __init__(self, rate: float, burst: int, clock: Any = time.monotonic) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
            self._at = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


class AuthorizerCache:
    """Policies by (authorizer, identity source values), each kept for the authorizer's ReauthorizeEvery."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[tuple[str, tuple[str, ...]], tuple[float, Grant]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, tuple[str, ...]]) -> Grant | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                self._entries.pop(key, None)
                return None
            return entry[1]

    def put(self, key: tuple[str, tuple[str, ...]], grant: Grant, seconds: int) -> None:
        if seconds > 0:
            with self._lock:
                self._entries[key] = (self._clock() + seconds, grant)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Gateway:
    """The template's REST APIs on one WSGI app (all stages share the one local origin)."""

    def __init__(self, stack: Stack, functions: Functions) -> None:
        self.region = stack.region
        self.functions = functions
        self.apis = stack.apis()
        self.routes = stack.api_routes()
        self.cache = AuthorizerCache()
        self.meter: UsageMeter | None = None
        """Set once the usage plans exist (``Emulator.provision``); until then no method is metered."""
        self._throttles = {
            logical_id: TokenBucket(*api.throttle) for logical_id, api in self.apis.items() if api.throttle
        }
        self._by_template: dict[str, dict[str, ApiRoute]] = {}
        self._variables: dict[str, dict[str, str]] = {}
        rules = []
        for route in self.routes:
            methods = self._by_template.setdefault(route.path, {})
            if route.method in methods:
                other = methods[route.method]
                raise ValueError(f"{route.method} {route.path}: declared by {other.function} and {route.function}")
            methods[route.method] = route
            if route.path not in self._variables:
                rule, self._variables[route.path] = werkzeug_rule(route.path)
                rules.append(Rule(rule, endpoint=route.path))
        self._map = Map(rules, strict_slashes=False, merge_slashes=False)
        for route in self.routes:
            if route.authorizer and route.authorizer not in self.apis[route.api].authorizers:
                log.warning(
                    "%s %s: authorizer %s is not declared by %s", route.method, route.path, route.authorizer, route.api
                )

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def match(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]] | None:
        try:
            template, values = self._map.bind("local").match(path)
        except HTTPException:
            return None
        methods = self._by_template[template]
        route = methods.get(method) or methods.get("ANY")
        if route is None:
            return None
        names = self._variables[template]
        return route, {names[safe]: value for safe, value in values.items()}

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        found = self.match(request.method, request.path)
        if found is None:
            return self.refuse(self._api_for(request.path), "MISSING_AUTHENTICATION_TOKEN", request_id)
        route, path_parameters = found
        api = self.apis[route.api]
        if (request.content_length or 0) > MAX_PAYLOAD_BYTES or len(request.get_data(cache=True)) > MAX_PAYLOAD_BYTES:
            return self.refuse(api, "REQUEST_TOO_LARGE", request_id)
        throttle = self._throttles.get(api.logical_id)
        if throttle is not None and not throttle.take():
            return self.refuse(api, "THROTTLED", request_id)
        event = self.proxy_event(request, route, api, path_parameters, request_id)
        try:
            grant = None
            if route.authorizer is not None:
                grant, event["requestContext"]["authorizer"] = self.authorize(api, route, event)
            if route.api_key_required:
                self.meter_key(api, event, grant)
        except Refusal as refusal:
            return self.refuse(api, refusal.kind, request_id, refusal.message, refusal.headers)
        function = self.functions[route.function]
        try:
            result = function.invoke(event)
        except Exception:
            log.exception("%s failed on %s %s", route.function, route.method, route.path)
            return self.refuse(api, "DEFAULT_5XX", request_id)
        response = proxy_response(result)
        if response is None:
            log.error("%s answered a malformed Lambda proxy response: %.300r", route.function, result)
            return self.refuse(api, "DEFAULT_5XX", request_id)
        response.headers.setdefault("x-amzn-RequestId", request_id)
        return response

    def _api_for(self, path: str) -> Api | None:
        """The API whose routes share the longest prefix with an unmatched path (for its gateway responses)."""
        if not self.routes:
            return next(iter(self.apis.values()), None)
        best = max(self.routes, key=lambda route: len(_common_prefix(route.path, path)))
        return self.apis[best.api]

    # ------------------------------------------------------------------ events

    def method_arn(self, api: Api, method: str, path: str) -> str:
        return f"arn:aws:execute-api:{self.region}:{ACCOUNT_ID}:{api_id(api.logical_id)}/{api.stage}/{method}{path}"

    def proxy_event(
        self, request: Request, route: ApiRoute, api: Api, path_parameters: dict[str, str], request_id: str
    ) -> dict[str, Any]:
        """The v1 (REST API) proxy event for ``request``, without ``requestContext.authorizer`` yet."""
        now = datetime.now(UTC)
        raw_path = request.environ.get("RAW_URI", "").split("?", 1)[0] or quote(request.path)
        client_ip = request.remote_addr or "127.0.0.1"
        pairs = [(name.lower(), value) for name, value in request.headers.items()]
        defaults = {
            "x-forwarded-for": client_ip,
            "x-forwarded-port": str(request.environ.get("SERVER_PORT", "")),
            "x-forwarded-proto": request.scheme,
            "x-amzn-trace-id": f"Root=1-{int(now.timestamp()):08x}-{uuid.uuid4().hex[:24]}",
        }
        present = {name for name, _ in pairs}
        pairs += [(name, value) for name, value in defaults.items() if name not in present]
        headers, multi_headers = single_and_multi(pairs)
        query, multi_query = single_and_multi(list(request.args.items(multi=True)))
        body, encoded = self._body(request, api)
        host = request.host
        return {
            "resource": route.path,
            "path": raw_path,
            "httpMethod": request.method,
            "headers": headers or {},
            "multiValueHeaders": multi_headers or {},
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "pathParameters": path_parameters or None,
            "stageVariables": dict(api.stage_variables) if api.stage_variables else None,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": api_id(api.logical_id),
                "domainName": host,
                "domainPrefix": host.split(".", 1)[0],
                "extendedRequestId": base64.b64encode(uuid.uuid4().bytes[:10]).decode(),
                "httpMethod": request.method,
                "identity": {
                    "accessKey": None,
                    "accountId": None,
                    "apiKey": None,
                    "apiKeyId": None,
                    "caller": None,
                    "cognitoAuthenticationProvider": None,
                    "cognitoAuthenticationType": None,
                    "cognitoIdentityId": None,
                    "cognitoIdentityPoolId": None,
                    "principalOrgId": None,
                    "sourceIp": client_ip,
                    "user": None,
                    "userAgent": request.headers.get("user-agent"),
                    "userArn": None,
                    "clientCert": None,
                },
                "path": f"/{api.stage}{raw_path}",
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "requestId": request_id,
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "resourceId": hashlib.sha256(f"{api.logical_id} {route.path}".encode()).hexdigest()[:6],
                "resourcePath": route.path,
                "stage": api.stage,
            },
            "body": body,
            "isBase64Encoded": encoded,
        }

    @staticmethod
    def _body(request: Request, api: Api) -> tuple[str | None, bool]:
        data = request.get_data(cache=True)
        if not data:
            return None, False
        if not is_binary(request.content_type, (*DEFAULT_BINARY_MEDIA_TYPES, *api.binary_media_types)):
            try:
                return data.decode("utf-8"), False
            except UnicodeDecodeError:
                pass
        return base64.b64encode(data).decode("ascii"), True

    # ------------------------------------------------------------------ authorizers

    def authorize(self, api: Api, route: ApiRoute, event: dict[str, Any]) -> tuple[Grant, dict[str, Any]]:
        """The grant and ``requestContext.authorizer`` for an allowed request; raises ``Refusal`` otherwise."""
        authorizer = api.authorizers.get(route.authorizer or "")
        if authorizer is None:
            raise Refusal("AUTHORIZER_CONFIGURATION_ERROR")
        identity = self._identity(authorizer, event)
        method_arn = self.method_arn(api, event["httpMethod"], event["path"])
        key = (authorizer.name, identity)
        grant = self.cache.get(key)
        latency = 0
        if grant is None:
            started = time.monotonic()
            grant = self._invoke_authorizer(authorizer, event, identity, method_arn)
            latency = int((time.monotonic() - started) * 1000)
            self.cache.put(key, grant, authorizer.reauthorize_seconds)
        effect = policy_effect(grant.policy, method_arn)
        if effect != "Allow":
            raise Refusal("ACCESS_DENIED", EXPLICIT_DENY if effect == "Deny" else None)
        return grant, {**grant.context, "principalId": grant.principal_id, "integrationLatency": latency}

    def meter_key(self, api: Api, event: dict[str, Any], grant: Grant | None) -> None:
        """Count the request against its key's usage plan (after the authorizer, as API Gateway does)."""
        if self.meter is None:
            return
        if api.api_key_source == "AUTHORIZER":
            key = grant.usage_identifier_key if grant is not None else None
        else:
            headers = {name.lower(): value for name, value in (event["headers"] or {}).items()}
            key = headers.get("x-api-key")
        if not key:
            raise Refusal("API_KEY_MISSING")
        verdict = self.meter.take(api.logical_id, key)
        if verdict is None:
            raise Refusal("INVALID_API_KEY")
        if not verdict.allowed:
            raise Refusal(verdict.kind or "THROTTLED", headers={"Retry-After": str(verdict.retry_after)})
        event["requestContext"]["identity"]["apiKey"] = key

    @staticmethod
    def _identity(authorizer: Authorizer, event: dict[str, Any]) -> tuple[str, ...]:
        headers = {name.lower(): value for name, value in (event["headers"] or {}).items()}
        query = event["queryStringParameters"] or {}
        values = [headers.get(name, "") for name in authorizer.identity_headers]
        values += [query.get(name, "") for name in authorizer.identity_query_strings]
        if not values or not all(value.strip() for value in values):
            raise Refusal("UNAUTHORIZED")
        return tuple(values)

    def _invoke_authorizer(
        self, authorizer: Authorizer, event: dict[str, Any], identity: tuple[str, ...], method_arn: str
    ) -> Grant:
        if authorizer.payload_type == "TOKEN":
            request: dict[str, Any] = {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": method_arn}
        else:
            request = {
                "type": "REQUEST",
                "methodArn": method_arn,
                **{name: event[name] for name in ("resource", "path", "httpMethod", "headers", "multiValueHeaders")},
                **{
                    name: event[name]
                    for name in (
                        "queryStringParameters",
                        "multiValueQueryStringParameters",
                        "pathParameters",
                        "stageVariables",
                        "requestContext",
                    )
                },
            }
        try:
            answer = self.functions[authorizer.function].invoke(request)
        except Exception as error:
            if str(error) == "Unauthorized":
                raise Refusal("UNAUTHORIZED") from error
            log.exception("authorizer %s failed", authorizer.name)
            raise Refusal("AUTHORIZER_FAILURE") from error
        return grant_of(authorizer, answer)

    # ------------------------------------------------------------------ gateway responses

    def refuse(
        self,
        api: Api | None,
        kind: str,
        request_id: str,
        message: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        response = gateway_response(api, kind, request_id, message)
        for name, value in (headers or {}).items():
            response.headers[name] = value  # computed (Retry-After) wins over the template's static value
        return response


def grant_of(authorizer: Authorizer, answer: Any) -> Grant:
    """Validate an authorizer's output as API Gateway does; anything else is a configuration error."""
    if not isinstance(answer, Mapping):
        raise Refusal("AUTHORIZER_CONFIGURATION_ERROR")
    policy = answer.get("policyDocument")
    principal = answer.get("principalId")
    context = answer.get("context") or {}
    if not isinstance(policy, Mapping) or "Statement" not in policy or principal is None:
        log.error("authorizer %s answered no principalId/policyDocument: %.300r", authorizer.name, answer)
        raise Refusal("AUTHORIZER_CONFIGURATION_ERROR")
    if not isinstance(context, Mapping) or any(
        isinstance(value, Mapping | list | tuple) or value is None for value in context.values()
    ):
        log.error("authorizer %s: context values must be strings, numbers or booleans", authorizer.name)
        raise Refusal("AUTHORIZER_CONFIGURATION_ERROR")
    # REST APIs hand the context to the integration with every value as a string.
    strings = {name: (str(value).lower() if isinstance(value, bool) else str(value)) for name, value in context.items()}
    usage = answer.get("usageIdentifierKey")
    return Grant(
        principal_id=str(principal), policy=policy, context=strings, usage_identifier_key=str(usage) if usage else None
    )


def gateway_response(api: Api | None, kind: str, request_id: str, message: str | None = None) -> Response:
    """The gateway's own answer of type ``kind``: the API's ``GatewayResponses`` entry, else AWS's default."""
    error = GATEWAY_ERRORS[kind]
    text = message or error.message
    status = error.status
    body = json.dumps({"message": text})
    headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": error.error_type}
    declared_responses = api.gateway_responses if api else {}
    family = "DEFAULT_4XX" if status < 500 else "DEFAULT_5XX"
    declared = declared_responses.get(kind) or declared_responses.get(family)
    if declared:
        if kind in declared_responses and "StatusCode" in declared:
            status = int(declared["StatusCode"])
        template = (declared.get("ResponseTemplates") or {}).get("application/json")
        if template is not None:
            body = (
                str(template)
                .replace("$context.error.messageString", json.dumps(text))
                .replace("$context.error.message", text or "")
                .replace("$context.error.responseType", kind)
                .replace("$context.requestId", request_id)
            )
        for name, value in ((declared.get("ResponseParameters") or {}).get("Headers") or {}).items():
            headers[name] = str(value).strip("'")
    return Response(body, status=status, headers=headers, content_type="application/json")


def proxy_response(result: Any) -> Response | None:
    """The HTTP response for a Lambda proxy integration result, or None when API Gateway would call it malformed."""
    if not isinstance(result, Mapping) or not set(result) <= PROXY_RESPONSE_KEYS or "statusCode" not in result:
        return None
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return None
    body = result.get("body")
    headers = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not 100 <= status <= 599 or not isinstance(body, str | None):
        return None
    if not isinstance(headers, Mapping) or not isinstance(multi, Mapping):
        return None
    data: bytes = (body or "").encode()
    if result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body or "", validate=True)
        except (binascii.Error, ValueError):
            return None
    response = Response(data, status=status)
    response.headers.remove("Content-Type")
    pairs = [(str(name), _header_value(value)) for name, value in headers.items()]
    for name, values in multi.items():
        if not isinstance(values, list):
            return None
        pairs += [
            (str(name), _header_value(value)) for value in values if (str(name), _header_value(value)) not in pairs
        ]
    for name, value in pairs:
        response.headers.add(name, value)
    if "Content-Type" not in response.headers:
        response.headers["Content-Type"] = "application/json"
    return response


def _header_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _common_prefix(first: str, second: str) -> str:
    length = 0
    for left, right in zip(first, second, strict=False):
        if left != right:
            break
        length += 1
    return first[:length]
