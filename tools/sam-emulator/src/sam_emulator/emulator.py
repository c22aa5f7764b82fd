"""A SAM template's stack, emulated: its resources in the AWS the process points at, its functions behind
the gateway, its SQS event sources drained, its schedules on demand or on the wall clock.

``Emulator`` is a WSGI app: the control routes (``/_local/*``), then the template's API routes. It
works against whatever AWS the process points at: moto's server (``sam_emulator.server.launch``) or
moto's in-process ``mock_aws`` (``sam_emulator.testing``). An application built on it subclasses
``Emulator`` to seed data (``provision``, ``populate``), add control routes (``self.control.add``)
or report more in ``/_local/health`` (``status``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Self

import boto3
from werkzeug.wrappers import Response

from sam_emulator.bus import forget, record_put_events
from sam_emulator.control import Control
from sam_emulator.gateway import Gateway
from sam_emulator.lambdas import Functions
from sam_emulator.queues import Queues
from sam_emulator.schedules import Clock, iso, scheduled_event
from sam_emulator.serial import serialise_dynamodb
from sam_emulator.streams import Streams
from sam_emulator.template import Schedule, Stack
from sam_emulator.usage import UsageMeter

log = logging.getLogger("sam_emulator")


class Emulator:
    """The whole stack of a template as one WSGI app (the control routes, then the API routes).

    ``clock``: fire the schedules on the wall clock (and drain the queues every second); without it,
    jobs run only through ``POST /_local/jobs/{name}``. ``warm``: load every function at start.
    """

    def __init__(self, stack: Stack, *, clock: bool = False, warm: bool = True) -> None:
        self.stack = stack
        self.functions = Functions(self.stack)
        self.gateway = Gateway(self.stack, self.functions)
        self.jobs: dict[str, Schedule] = {}
        for schedule in self.stack.schedules():
            self.jobs.setdefault(self.stack.job_name(schedule.function), schedule)
        self.control = Control(self)
        self.ready = False
        self.queues: Queues | None = None
        self.streams: Streams | None = None
        self._use_clock = clock
        self._warm = warm
        self._clock: Clock | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Create the template's resources, warm the functions, start the event sources; then serve."""
        serialise_dynamodb()
        record_put_events()
        forget()
        self.provision()
        for logical_id, error in (self.functions.warm() if self._warm else {}).items():
            log.warning("%s does not load (%s: %s); its invocations will fail", logical_id, type(error).__name__, error)
        self.queues = Queues(self.stack, self.functions, self.client("sqs"))
        self.streams = Streams(self.stack, self.functions, self.client("dynamodb"), self.client("sqs"))
        self.populate()
        if self._use_clock:
            self._clock = Clock(self.stack.schedules(), self._fire, tick=self.drain)
            self._clock.start()
        self.ready = True
        return self

    def provision(self) -> None:
        """Create the template's tables, queues, SES identities and secrets (before the functions load)."""
        self.stack.create_tables(self.client("dynamodb"))
        self.stack.create_queues(self.client("sqs"))
        self.stack.create_email_identities(self.client("sesv2"))
        self.stack.create_secrets(self.client("secretsmanager"))
        self.stack.create_event_buses(self.client("events"))
        plans = self.stack.usage_plans()
        if plans:
            meter = UsageMeter(plans, self.client("apigateway"))
            meter.create_plans()
            self.gateway.meter = meter

    def drain(self) -> None:
        """Deliver what waits in the SQS and DynamoDB stream event sources (the clock does so every second)."""
        if self.queues is not None:
            self.queues.drain()
        if self.streams is not None:
            self.streams.drain()

    def populate(self) -> None:
        """Once the functions can be called, before the stack serves: a subclass loads its data here."""

    def client(self, service: str) -> Any:
        """A boto3 client of the default session, as the functions create theirs: it reaches the same AWS."""
        return boto3.client(service, region_name=self.stack.region)

    def stop(self) -> None:
        self.ready = False
        if self._clock is not None:
            self._clock.stop()
        self.functions.unload()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if self.control.serves(path):
            return self.control(environ, start_response)
        if not self.ready:
            return starting(environ, start_response)
        return self.gateway(environ, start_response)

    def status(self) -> dict[str, Any]:
        """What ``GET /_local/health`` reports once ready."""
        return {"routes": len(self.gateway.routes), "functions": len(self.functions), "jobs": sorted(self.jobs)}

    def describe_routes(self) -> Iterator[str]:
        """One line per API route: method, path, function and authorizer."""
        for route in self.gateway.routes:
            yield f"{route.method:6} {route.path}  ({route.function}, {route.authorizer or 'public'})"

    # ------------------------------------------------------------------ jobs

    def run_job(self, name: str, moment: datetime) -> dict[str, Any]:
        """Run the scheduled function ``name`` as EventBridge would at ``moment``, then drain its fan-out."""
        return self.run_schedule(self.jobs[name], moment)

    def run_schedule(self, schedule: Schedule, moment: datetime) -> dict[str, Any]:
        name = self.stack.job_name(schedule.function)
        event = scheduled_event(schedule, moment, self.stack.region)
        result: Any = None
        error = None
        with self.functions.lock:
            try:
                result = self.functions[schedule.function].invoke(event)
            except Exception as failure:
                log.exception("job %s failed", name)
                error = {"type": type(failure).__name__, "message": str(failure)}
            fan_out = self.queues.drain() if self.queues else None
        return {
            "job": name,
            "function": schedule.function,
            "schedule": schedule.name,
            "time": iso(moment),
            "event": event,
            "result": result,
            "error": error,
            "fan_out": fan_out.as_dict() if fan_out else None,
        }

    def _fire(self, schedule: Schedule, moment: datetime) -> None:
        summary = self.run_schedule(schedule, moment)
        log.info("schedule %s fired for %s: %s", schedule.name, iso(moment), json.dumps(summary, default=str)[:500])


def starting(environ: dict[str, Any], start_response: Any) -> Any:
    """503 while the stack is starting (a WSGI app)."""
    body = json.dumps({"message": "the local stack is starting"})
    return Response(body, status=503, content_type="application/json")(environ, start_response)
