"""Local-only routes, no key needed, never deployed: health, the email outbox, jobs on demand, Swagger UI.

- ``GET /_local/health``: 200 once the stack is ready to serve, 503 before.
- ``GET /_local/outbox``: the emails sent through SES so far.
- ``GET /_local/jobs``: the jobs template.yaml declares (functions with a Schedule/ScheduleV2 event).
- ``POST /_local/jobs/{name}`` ``{"time": "<ISO-8601>"}``: run that job as EventBridge would at that
  time, drain the SQS fan-out it started, answer its summary.
- ``GET /swagger``: Swagger UI for the API (``?format=json``: the OpenAPI document).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from local.outbox import sent_emails
from local.schedules import parse_time
from local.swagger import openapi_document, swagger_page

if TYPE_CHECKING:
    from local.stack import LocalStack


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str, indent=2), status=status, content_type="application/json")


def error(status: int, code: str, message: str, **extra: Any) -> Response:
    return json_response({"error": {"code": code, "message": message, "details": []}, **extra}, status)


class Control:
    PREFIXES = ("/_local/", "/swagger")

    def __init__(self, local: LocalStack) -> None:
        self.local = local
        self._map = Map(
            [
                Rule("/_local/health", endpoint="health", methods=["GET"]),
                Rule("/_local/outbox", endpoint="outbox", methods=["GET"]),
                Rule("/_local/jobs", endpoint="jobs", methods=["GET"]),
                Rule("/_local/jobs/<name>", endpoint="run_job", methods=["POST"]),
                Rule("/swagger", endpoint="swagger", methods=["GET"]),
            ],
            strict_slashes=False,
        )

    def serves(self, path: str) -> bool:
        return path == "/swagger" or path.startswith(self.PREFIXES)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, arguments = self._map.bind_to_environ(environ).match()
            response = getattr(self, endpoint)(request, **arguments)
        except MethodNotAllowed:
            response = error(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}")
        except NotFound:
            response = error(404, "not_found", "no such local route")
        except HTTPException as failure:
            response = error(failure.code or 500, "http_error", failure.description or "")
        return response(environ, start_response)

    def health(self, request: Request) -> Response:
        if not self.local.ready:
            return json_response({"status": "starting"}, 503)
        return json_response(
            {
                "status": "ready",
                "routes": len(self.local.gateway.routes),
                "functions": len(self.local.functions),
                "jobs": sorted(self.local.jobs),
                "demo": {"loaded": len(self.local.demo_report.loaded), "failed": self.local.demo_report.failed},
            }
        )

    def outbox(self, request: Request) -> Response:
        return json_response(sent_emails(self.local.stack.region))

    def jobs(self, request: Request) -> Response:
        return json_response({"jobs": self._job_list()})

    def _job_list(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "function": schedule.function,
                "schedule": schedule.name,
                "expression": schedule.expression,
                "enabled": schedule.enabled,
            }
            for name, schedule in sorted(self.local.jobs.items())
        ]

    def run_job(self, request: Request, name: str) -> Response:
        if name not in self.local.jobs:
            declared = sorted(self.local.jobs)
            listed = ", ".join(declared) or "none yet"
            return error(404, "not_found", f"no job {name!r}; template.yaml declares: {listed}", jobs=declared)
        if not self.local.ready:
            return error(503, "starting", "the local stack is starting")
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            text = body.get("time") if isinstance(body, dict) else None
            moment = parse_time(text) if text is not None else datetime.now(UTC)
        except (ValueError, TypeError, AttributeError):
            return error(
                422, "validation_error", 'send {"time": "<ISO-8601 instant>"}, e.g. {"time": "2026-11-21T02:00:00Z"}'
            )
        summary = self.local.run_job(name, moment)
        return json_response(summary, 500 if summary["error"] else 200)

    @cached_property
    def _openapi(self) -> dict[str, Any]:
        resolvers = []
        for function in self.local.functions.values():
            resolver = getattr(function.load(), "app", None) if function.loaded else None
            if hasattr(resolver, "get_openapi_schema"):
                resolvers.append(resolver)
        return openapi_document(resolvers)

    def swagger(self, request: Request) -> Response:
        if request.args.get("format") == "json":
            return json_response(self._openapi)
        return Response(swagger_page(self._openapi), content_type="text/html; charset=utf-8")
