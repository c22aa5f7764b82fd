"""The emulator's own routes, no key needed, never part of the template: health, the email outbox, jobs on demand.

- ``GET /_local/health``: 200 once the stack is ready to serve, 503 before.
- ``GET /_local/outbox``: the emails sent through SES so far.
- ``GET /_local/events``: what the functions put on EventBridge buses, in the order published (the
  DynamoDB stream event sources are drained first, so every change so far is in).
- ``GET /_local/jobs``: the jobs the template declares (functions with a Schedule/ScheduleV2 event).
- ``POST /_local/jobs/{name}`` ``{"time": "<ISO-8601>"}``: run that job as EventBridge would at that
  time, drain the SQS fan-out it started, answer its summary.

``add(path, handler)`` serves more routes of the same kind (a page of documentation, say): every
path at or under ``path`` is the handler's, never the gateway's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sam_emulator.bus import published
from sam_emulator.outbox import sent_emails
from sam_emulator.schedules import parse_time

if TYPE_CHECKING:
    from sam_emulator.emulator import Emulator

PREFIX = "/_local"
Handler = Callable[..., Response]
"""``(request, **route arguments) -> Response``."""


def json_response(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, default=str, indent=2), status=status, content_type="application/json")


def error(status: int, code: str, message: str, **extra: Any) -> Response:
    return json_response({"error": {"code": code, "message": message, "details": []}, **extra}, status)


class Control:
    def __init__(self, emulator: Emulator, prefix: str = PREFIX) -> None:
        self.emulator = emulator
        self._prefixes = [f"{prefix}/"]
        self._handlers: dict[str, Handler] = {
            "health": self.health,
            "outbox": self.outbox,
            "jobs": self.jobs,
            "events": self.events,
            "run_job": self.run_job,
        }
        self._rules = [
            Rule(f"{prefix}/health", endpoint="health", methods=["GET"]),
            Rule(f"{prefix}/outbox", endpoint="outbox", methods=["GET"]),
            Rule(f"{prefix}/jobs", endpoint="jobs", methods=["GET"]),
            Rule(f"{prefix}/events", endpoint="events", methods=["GET"]),
            Rule(f"{prefix}/jobs/<name>", endpoint="run_job", methods=["POST"]),
        ]
        self._map = Map(self._rules, strict_slashes=False)

    def add(self, path: str, handler: Handler, methods: Iterable[str] = ("GET",)) -> None:
        """Serve ``path`` with ``handler`` (``Request -> Response``); other paths starting with it answer 404."""
        endpoint = f"added:{path}"
        self._handlers[endpoint] = handler
        self._rules.append(Rule(path, endpoint=endpoint, methods=list(methods)))
        self._prefixes.append(path)
        self._map = Map([rule.empty() for rule in self._rules], strict_slashes=False)

    def serves(self, path: str) -> bool:
        return path.startswith(tuple(self._prefixes))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, arguments = self._map.bind_to_environ(environ).match()
            response = self._handlers[endpoint](request, **arguments)
        except MethodNotAllowed:
            response = error(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}")
        except NotFound:
            response = error(404, "not_found", "no such local route")
        except HTTPException as failure:
            response = error(failure.code or 500, "http_error", failure.description or "")
        return response(environ, start_response)

    def health(self, request: Request) -> Response:
        if not self.emulator.ready:
            return json_response({"status": "starting"}, 503)
        return json_response({"status": "ready", **self.emulator.status()})

    def outbox(self, request: Request) -> Response:
        return json_response(sent_emails(self.emulator.stack.region))

    def events(self, request: Request) -> Response:
        if self.emulator.streams is not None:
            self.emulator.streams.drain()
        return json_response(published(self.emulator.stack.region))

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
            for name, schedule in sorted(self.emulator.jobs.items())
        ]

    def run_job(self, request: Request, name: str) -> Response:
        if name not in self.emulator.jobs:
            declared = sorted(self.emulator.jobs)
            listed = ", ".join(declared) or "none yet"
            template = self.emulator.stack.path.name if self.emulator.stack.path else "the template"
            return error(404, "not_found", f"no job {name!r}; {template} declares: {listed}", jobs=declared)
        if not self.emulator.ready:
            return error(503, "starting", "the local stack is starting")
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            text = body.get("time") if isinstance(body, dict) else None
            moment = parse_time(text) if text is not None else datetime.now(UTC)
        except (ValueError, TypeError, AttributeError):
            return error(
                422, "validation_error", 'send {"time": "<ISO-8601 instant>"}, e.g. {"time": "2026-11-21T02:00:00Z"}'
            )
        summary = self.emulator.run_job(name, moment)
        return json_response(summary, 500 if summary["error"] else 200)
