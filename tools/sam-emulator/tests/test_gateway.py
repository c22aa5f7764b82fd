"""The API Gateway emulation: routes, proxy events, Lambda authorizers and gateway responses (stub functions)."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Callable
from typing import Any

import pytest

from sam_emulator.emulator import Emulator
from sam_emulator.gateway import MAX_PAYLOAD_BYTES
from sam_emulator.template import Stack
from sam_emulator.testing import Http, emulated

pytestmark = pytest.mark.e2e

Variant = Callable[[str, str], Stack]


def authorizer_calls(app: Emulator, logical_id: str = "KeyAuthFunction") -> list[dict[str, Any]]:
    module = sys.modules[app.functions[logical_id].load().__name__]
    return module.CALLS


# ---------------------------------------------------------------------- routes


def test_unknown_route_is_apigateways_missing_authentication_token(stub_http: Http) -> None:
    # GIVEN a stack whose API declares no gateway response for MISSING_AUTHENTICATION_TOKEN
    # WHEN a path no route declares is called
    reply = stub_http.get("/nowhere")
    # THEN API Gateway's own answer comes back, without any function being invoked
    assert reply.status == 403
    assert reply.body == {"message": "Missing Authentication Token"}
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_a_declared_path_with_an_undeclared_method_is_an_unknown_route(stub_http: Http) -> None:
    reply = stub_http.delete("/items/42")
    assert reply.status == 403
    assert reply.body == {"message": "Missing Authentication Token"}


def test_head_is_not_get(stub_http: Http) -> None:
    assert stub_http.request("HEAD", "/items/42").status == 403


def test_any_route_takes_every_method(stub_http: Http) -> None:
    for method in ("GET", "POST", "PATCH", "DELETE"):
        reply = stub_http.request(method, "/anything")
        assert reply.status == 200, method
        assert reply.body["event"]["httpMethod"] == method


def test_greedy_path_parameter_takes_the_rest_of_the_path(stub_http: Http) -> None:
    reply = stub_http.get("/files/reports/2026/q4.pdf")
    event = reply.body["event"]
    assert event["resource"] == "/files/{path+}"
    assert event["pathParameters"] == {"path": "reports/2026/q4.pdf"}


# ---------------------------------------------------------------------- the proxy event


def test_handler_receives_a_rest_api_proxy_event(stub_http: Http) -> None:
    # WHEN a GET with a path parameter, a repeated query parameter and a repeated header is sent
    reply = stub_http.get(
        "/items/SKU%2042?color=red&size=m&size=l", headers={"X-Trace": "one", "Accept": "application/json"}
    )
    # THEN the function sees the v1 proxy event API Gateway builds
    assert reply.status == 200
    event = reply.body["event"]
    assert event["resource"] == "/items/{item_id}"
    assert event["path"] == "/items/SKU%2042"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"item_id": "SKU 42"}
    assert event["queryStringParameters"] == {"color": "red", "size": "l"}
    assert event["multiValueQueryStringParameters"] == {"color": ["red"], "size": ["m", "l"]}
    assert event["headers"]["x-trace"] == "one"
    assert event["headers"]["x-api-key"] == "good-key"
    assert event["multiValueHeaders"]["x-trace"] == ["one"]
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "test"
    assert context["resourcePath"] == "/items/{item_id}"
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/test/items/SKU%2042"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["accountId"] == "123456789012"
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["requestId"] == reply.headers["x-amzn-RequestId"]


def test_json_body_arrives_as_text(stub_http: Http) -> None:
    event = stub_http.post("/items", {"sku": "BOLT-M8"}).body["event"]
    assert event["body"] == '{"sku": "BOLT-M8"}'
    assert event["isBase64Encoded"] is False


def test_a_body_over_10_mb_is_apigateways_413_without_invoking_anything(stub: Emulator, stub_http: Http) -> None:
    # GIVEN a body one byte over API Gateway's 10 MB payload quota
    body = b"x" * (MAX_PAYLOAD_BYTES + 1)
    # WHEN it is sent to a route behind an authorizer
    reply = stub_http.post("/items", data=body, content_type="application/octet-stream")
    # THEN the gateway answers API Gateway's REQUEST_TOO_LARGE response; neither authorizer nor function ran
    assert reply.status == 413
    assert reply.body == {"message": "Request Too Long"}
    assert reply.headers["x-amzn-ErrorType"] == "RequestTooLargeException"
    assert authorizer_calls(stub) == []
    assert stub.functions["EchoFunction"].invocations == 0


def test_a_body_of_exactly_10_mb_reaches_the_function(stub: Emulator, stub_http: Http) -> None:
    reply = stub_http.post("/items", data=b"x" * MAX_PAYLOAD_BYTES, content_type="text/plain")

    assert reply.status == 200
    assert stub.functions["EchoFunction"].invocations == 1


def test_binary_body_arrives_base64_encoded(stub_http: Http) -> None:
    payload = bytes(range(256))
    for content_type in ("application/octet-stream", "application/x-custom-binary"):
        event = stub_http.post("/items", data=payload, content_type=content_type).body["event"]
        assert event["isBase64Encoded"] is True, content_type
        assert base64.b64decode(event["body"]) == payload


def test_handler_response_headers_reach_the_client(stub_http: Http) -> None:
    reply = stub_http.get("/items/1")
    assert reply.headers["X-Echo"] == "yes"
    assert reply.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


# ---------------------------------------------------------------------- functions


def test_each_function_runs_with_its_own_environment(stub_http: Http) -> None:
    # GIVEN two functions of one CodeUri, one overriding a Globals variable
    echo = stub_http.get("/items/1").body["environment"]
    other = stub_http.get("/other").body["environment"]
    # THEN each sees Globals merged with its own variables, and nothing of the other's
    assert echo["GREETING"] == "hello from echo"
    assert other["GREETING"] == "hello from globals"
    assert echo["SHARED"] == other["SHARED"] == "from globals"
    assert echo["AWS_LAMBDA_FUNCTION_NAME"] == "local-EchoFunction"
    assert other["AWS_LAMBDA_FUNCTION_NAME"] == "local-OtherFunction"


def test_a_function_has_the_layers_of_globals_and_its_own(stub_http: Http) -> None:
    # GIVEN Globals with StubLayer, and EchoFunction adding ExtraLayer to its own Layers
    # WHEN each function says which layer modules it can import
    echo = stub_http.get("/items/1").body["layers"]
    other = stub_http.get("/other").body["layers"]
    # THEN EchoFunction has both (SAM concatenates the lists), OtherFunction only the global one
    assert echo == ["stub_settings", "stub_extra"]
    assert other == ["stub_settings"]


def test_caches_in_the_layer_are_per_function(stub_http: Http) -> None:
    # GIVEN a layer module that caches an environment variable on first use, as the project's settings do
    echo = stub_http.get("/items/1").body["layer_greeting"]
    # WHEN another function reads it after the first one
    other = stub_http.get("/other").body["layer_greeting"]
    # THEN each got its own (each Lambda function has its own execution environment)
    assert (echo, other) == ("hello from echo", "hello from globals")


def test_functions_environment_is_not_left_in_the_process(stub_http: Http) -> None:
    stub_http.get("/items/1")
    assert "GREETING" not in os.environ
    assert "AWS_LAMBDA_FUNCTION_NAME" not in os.environ


def test_each_function_has_its_own_module_namespace(stub_http: Http) -> None:
    # GIVEN two functions loaded from the same app.py, each with a module-level counter
    stub_http.get("/items/1")
    stub_http.get("/items/2")
    # THEN the other function's counter started from zero
    assert stub_http.get("/other").body["calls"] == 1
    assert stub_http.get("/items/3").body["calls"] == 3


def test_handler_gets_a_lambda_context_from_the_template(stub_http: Http) -> None:
    context = stub_http.get("/items/1").body["context"]
    assert context["function_name"] == "local-EchoFunction"
    assert context["memory_limit_in_mb"] == 256
    assert context["invoked_function_arn"] == "arn:aws:lambda:eu-central-1:123456789012:function:local-EchoFunction"
    assert 0 < context["remaining"] <= 7000
    assert context["aws_request_id"]


def test_handler_exception_is_502_internal_server_error(stub_http: Http) -> None:
    reply = stub_http.get("/boom")
    assert reply.status == 502
    assert reply.body == {"message": "Internal server error"}
    assert reply.headers["Content-Type"] == "application/json"


def test_malformed_handler_result_is_502(stub_http: Http) -> None:
    reply = stub_http.get("/malformed")
    assert reply.status == 502
    assert reply.body == {"message": "Internal server error"}


# ---------------------------------------------------------------------- authorizers


def test_missing_key_is_401_without_invoking_the_authorizer(stub: Emulator, stub_http: Http) -> None:
    reply = stub_http.get("/items/1", anonymous=True)
    assert reply.status == 401
    assert reply.body == {"error": {"code": "unauthorized", "message": "Unauthorized"}}
    assert reply.headers["x-gateway"] == "local"
    assert authorizer_calls(stub) == []
    assert stub.functions["EchoFunction"].invocations == 0


def test_empty_key_is_401_without_invoking_the_authorizer(stub: Emulator, stub_http: Http) -> None:
    assert stub_http.get("/items/1", headers={"x-api-key": " "}, anonymous=True).status == 401
    assert authorizer_calls(stub) == []


def test_authorizer_raising_unauthorized_is_401(stub: Emulator, stub_http: Http) -> None:
    reply = stub_http.get("/items/1", key="wrong-key")
    assert reply.status == 401
    assert reply.body["error"]["code"] == "unauthorized"
    assert len(authorizer_calls(stub)) == 1
    assert stub.functions["EchoFunction"].invocations == 0


def test_authorizer_gets_a_request_authorizer_event(stub: Emulator, stub_http: Http) -> None:
    stub_http.get("/items/7?view=full")
    (event,) = authorizer_calls(stub)
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == "arn:aws:execute-api:eu-central-1:123456789012:testapi/test/GET/items/7"
    assert event["resource"] == "/items/{item_id}"
    assert event["path"] == "/items/7"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["x-api-key"] == "good-key"
    assert event["queryStringParameters"] == {"view": "full"}
    assert event["pathParameters"] == {"item_id": "7"}
    assert event["requestContext"]["stage"] == "test"


def test_authorizer_context_reaches_the_handler(stub_http: Http) -> None:
    authorizer = stub_http.get("/items/1").body["event"]["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "good-key-holder"
    assert authorizer["role"] == "tester"
    # REST APIs hand every context value to the integration as a string
    assert authorizer["count"] == "3"
    assert authorizer["admin"] == "false"


def test_authorizer_answer_is_cached_per_key(stub: Emulator, stub_http: Http) -> None:
    # WHEN one key calls three routes behind the same authorizer, then another key calls one
    for path in ("/items/1", "/items/2", "/anything"):
        assert stub_http.get(path).status == 200
    assert stub_http.get("/items/1", key="other-key").status == 200
    # THEN the authorizer ran once per key
    assert [call["headers"]["x-api-key"] for call in authorizer_calls(stub)] == ["good-key", "other-key"]


def test_reauthorize_every_zero_invokes_the_authorizer_each_time(stub: Emulator, stub_http: Http) -> None:
    stub_http.get("/uncached")
    reply = stub_http.get("/uncached")
    assert reply.status == 200
    assert reply.body["event"]["requestContext"]["authorizer"]["role"] == "uncached"
    assert len(authorizer_calls(stub, "NoCacheAuthFunction")) == 2


def test_each_authorizer_runs_with_its_own_environment(stub_http: Http) -> None:
    assert stub_http.get("/items/1").body["event"]["requestContext"]["authorizer"]["role"] == "tester"
    assert stub_http.get("/uncached").body["event"]["requestContext"]["authorizer"]["role"] == "uncached"


def test_explicit_deny_is_403(stub_http: Http) -> None:
    reply = stub_http.get("/items/1", key="deny-key")
    assert reply.status == 403
    assert reply.body == {"message": "User is not authorized to access this resource with an explicit deny"}


def test_cached_policy_is_evaluated_against_each_method_arn(stub: Emulator, stub_http: Http) -> None:
    # GIVEN a key whose policy allows only the method ARN it was first called for
    assert stub_http.get("/items/1", key="exact-key").status == 200
    # WHEN the same key calls another resource within the cache time
    reply = stub_http.get("/items/2", key="exact-key")
    # THEN the cached policy, which does not allow it, answers 403 (as API Gateway's cache does)
    assert reply.status == 403
    assert reply.body == {"message": "User is not authorized to access this resource"}
    assert len(authorizer_calls(stub)) == 1


def test_authorizer_failure_is_500(stub_http: Http) -> None:
    assert stub_http.get("/items/1", key="crash").status == 500
    assert stub_http.get("/items/1", key="malformed").status == 500


def test_public_route_needs_no_key(stub: Emulator, stub_http: Http) -> None:
    reply = stub_http.get("/public", anonymous=True)
    assert reply.status == 200
    assert "authorizer" not in reply.body["event"]["requestContext"]
    assert authorizer_calls(stub) == []


# ---------------------------------------------------------------------- gateway responses of the template


def test_handler_failure_takes_the_templates_default_5xx_body(stub_variant: Variant) -> None:
    stack = stub_variant(
        "      GatewayResponses:\n",
        "      GatewayResponses:\n"
        "        DEFAULT_5XX:\n"
        "          ResponseTemplates:\n"
        "            application/json: "
        """'{"error": {"code": "internal", "message": $context.error.messageString}}'\n""",
    )
    with emulated(stack) as app:
        reply = Http(app, key="good-key").get("/boom")
    assert reply.status == 502
    assert reply.body == {"error": {"code": "internal", "message": "Internal server error"}}


def test_requests_past_the_stage_throttle_are_429(stub_variant: Variant) -> None:
    stack = stub_variant(
        "      BinaryMediaTypes:",
        '      MethodSettings: [{ResourcePath: "/*", HttpMethod: "*",'
        " ThrottlingRateLimit: 0.01, ThrottlingBurstLimit: 2}]\n"
        "      BinaryMediaTypes:",
    )
    with emulated(stack) as app:
        http = Http(app, key="good-key")
        statuses = [http.get("/public").status for _ in range(3)]
        throttled = http.get("/public")
    assert statuses == [200, 200, 429]
    assert throttled.body == {"message": "Too Many Requests"}
