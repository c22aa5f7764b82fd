"""Functions of template.yaml loaded in-process, each in its own module namespace, as Lambda would."""

from __future__ import annotations

import functools
import importlib.util
import json
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver

ROOT = Path(__file__).resolve().parents[2]


class _Invocation(threading.local):
    current_event: Any = None
    lambda_context: Any = None


def _one_invocation_per_thread() -> None:
    """Give each thread its own request in Powertools' resolver, as each Lambda execution environment has.

    Lambda runs one invocation at a time per environment, and Powertools relies on it: ``resolve``
    keeps the request in class attributes shared by every resolver of the process. Tests that call
    handlers from several threads at once (the races against DynamoDB) stand for several environments,
    so the request is kept per thread instead; one thread alone behaves exactly as before.
    """
    if isinstance(vars(APIGatewayRestResolver).get("current_event"), property):
        return
    invocation = _Invocation()
    resolve = APIGatewayRestResolver.resolve

    @functools.wraps(resolve)
    def resolve_in_this_thread(self: APIGatewayRestResolver, event: Any, context: Any) -> dict[str, Any]:
        invocation.current_event = self._to_proxy_event(event)
        invocation.lambda_context = context
        return resolve(self, event, context)

    def attribute(name: str) -> property:
        return property(lambda _self: getattr(invocation, name), lambda _self, value: setattr(invocation, name, value))

    APIGatewayRestResolver.current_event = attribute("current_event")  # type: ignore[assignment]
    APIGatewayRestResolver.lambda_context = attribute("lambda_context")  # type: ignore[assignment]
    APIGatewayRestResolver.resolve = resolve_in_this_thread  # type: ignore[method-assign]


_one_invocation_per_thread()


@dataclass
class FakeLambdaContext:
    function_name: str = "loyalty-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-central-1:123456789012:function:loyalty-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/loyalty-test"
    log_stream_name: str = "2026/11/20/[$LATEST]test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def load_function(code_uri: str) -> ModuleType:
    """A fresh module from ``<code_uri>/app.py``: module-level caches start empty, as in a cold start."""
    path = ROOT / code_uri / "app.py"
    name = f"lambda_{code_uri.replace('/', '_')}_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _own_metric_sets(module)
    return module


def _own_metric_sets(module: ModuleType) -> None:
    """Give the function's ``Metrics`` sets of its own, as its own Lambda execution environment has.

    Powertools keeps metrics, dimensions and metadata in class attributes shared by every ``Metrics``
    of the process. In Lambda a process holds one function; here several functions, loaded side by
    side and called from several threads (the soak and race tests), would flush each other's metrics
    mid-request ("Must contain at least one metric"). One function called alone behaves as before.
    """
    metrics = getattr(module, "metrics", None)
    if not isinstance(metrics, Metrics):
        return
    provider = metrics.provider
    metrics.metric_set = provider.metric_set = {}
    metrics.metadata_set = provider.metadata_set = {}
    metrics.dimension_set = provider.dimension_set = dict(provider.dimension_set)


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str]


def call(module: ModuleType, event: dict[str, Any]) -> ApiResponse:
    result = module.lambda_handler(event, FakeLambdaContext())
    raw = result.get("body")
    return ApiResponse(
        status=result["statusCode"],
        body=json.loads(raw) if raw else None,
        headers={key.lower(): value for key, value in (result.get("headers") or {}).items()},
    )
