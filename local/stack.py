"""The local stack assembled: the template's resources in the embedded AWS, its functions behind the
gateway, its schedules on a clock, the local keys and the demo data; and the HTTP server for all that.

``LocalStack`` is a WSGI app. It works against whatever AWS the process points at: moto's server
(``launch``, what ``make run`` does) or moto's in-process ``mock_aws`` (the e2e tests).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.test import Client
from werkzeug.wrappers import Response

from local.aws import HOST, EmbeddedAws
from local.cloudformation import TEMPLATE, Schedule, Stack
from local.control import Control
from local.gateway import Gateway
from local.lambdas import Functions
from local.queues import Queues
from local.schedules import Clock, iso, scheduled_event
from local.serial import serialise_dynamodb

log = logging.getLogger("local")

DEMO = Path(__file__).resolve().parent / "demo"
DEFAULT_REGION = "eu-central-1"


@dataclass(frozen=True)
class LocalKeys:
    """The API keys the local stack seeds: one per role."""

    storefront: str = "local-storefront-key"
    admin: str = "local-admin-key"

    @classmethod
    def from_environment(cls) -> LocalKeys:
        return cls(
            storefront=os.environ.get("LOCAL_STOREFRONT_KEY") or cls.storefront,
            admin=os.environ.get("LOCAL_ADMIN_KEY") or cls.admin,
        )


def local_parameters(url: str) -> dict[str, str]:
    """Template parameters the local stack sets: links the functions build (unsubscribe) point at this machine."""
    return {"PublicBaseUrl": url}


@dataclass
class DemoReport:
    loaded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class LocalStack:
    """The whole system of template.yaml as one WSGI app (API routes, ``/_local/*``, ``/swagger``)."""

    def __init__(
        self,
        stack: Stack | None = None,
        *,
        keys: LocalKeys | None = None,
        demo: bool = True,
        clock: bool = False,
        warm: bool = True,
    ) -> None:
        self.stack = stack or Stack.load(region=os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION)
        self.keys = keys or LocalKeys()
        self.functions = Functions(self.stack)
        self.gateway = Gateway(self.stack, self.functions)
        self.jobs: dict[str, Schedule] = {}
        for schedule in self.stack.schedules():
            self.jobs.setdefault(self.stack.job_name(schedule.function), schedule)
        self.control = Control(self)
        self.demo = demo
        self.demo_report = DemoReport()
        self.ready = False
        self._use_clock = clock
        self._warm = warm
        self._clock: Clock | None = None
        self.queues: Queues | None = None
        self._sesv2: Any = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LocalStack:
        """Create the template's tables, queues and SES identities, seed the keys, warm the functions."""
        serialise_dynamodb()
        dynamodb = self._client("dynamodb")
        sqs = self._client("sqs")
        self.stack.create_tables(dynamodb)
        self.stack.create_queues(sqs)
        self._sesv2 = self._client("sesv2")
        self.stack.create_email_identities(self._sesv2)
        self.stack.create_secrets(self._client("secretsmanager"))
        self.seed_keys(dynamodb)
        for logical_id, error in (self.functions.warm() if self._warm else {}).items():
            log.warning("%s does not load (%s: %s); its invocations will fail", logical_id, type(error).__name__, error)
        self.queues = Queues(self.stack, self.functions, sqs)
        if self.demo:
            self.demo_report = self.load_demo()
        if self._use_clock:
            self._clock = Clock(self.stack.schedules(), self._fire, tick=self.queues.drain)
            self._clock.start()
        self.ready = True
        return self

    def _client(self, service: str) -> Any:
        """A boto3 client of the default session, as the functions create theirs: it reaches the embedded AWS."""
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
            return _starting(environ, start_response)
        return self.gateway(environ, start_response)

    # ------------------------------------------------------------------ data

    def seed_keys(self, dynamodb: Any) -> list[str]:
        """Store the local keys in the table the authorizers read (``API_KEYS_TABLE``), once per table."""
        from loyalty_aws.keys import ApiKeyStore

        seeded: list[str] = []
        for api in self.gateway.apis.values():
            for authorizer in api.authorizers.values():
                table = self.stack.function_environment(authorizer.function).get("API_KEYS_TABLE")
                if not table or table in seeded:
                    continue
                store = ApiKeyStore(dynamodb, table=table)
                now = datetime.now(UTC)
                store.put(self.keys.storefront, "storefront", "local storefront", at=now)
                store.put(self.keys.admin, "admin", "local admin", at=now)
                seeded.append(table)
        return seeded

    def load_demo(self) -> DemoReport:
        """The demo program, accounts and orders of ``local/demo``, sent through the API like any client would."""
        report = DemoReport()
        client = Client(self.gateway)
        admin = {"x-api-key": self.keys.admin}
        storefront = {"x-api-key": self.keys.storefront}
        program = _demo("program.json")
        sender = (program.get("emails") or {}).get("from")
        if sender:  # as an operator verifies the program's sender in SES
            self._sesv2.create_email_identity(EmailIdentity=sender)
        requests = [("PUT", "/admin/program", admin, program)]
        for account in _demo("accounts.json"):
            profile = {name: value for name, value in account.items() if name != "customer_id"}
            requests.append(("PUT", f"/customers/{account['customer_id']}", storefront, profile))
        requests += [("POST", "/orders", storefront, order) for order in _demo("orders.json")]
        for method, path, headers, body in requests:
            response = client.open(path, method=method, headers=headers, json=body)
            line = f"{method} {path} -> {response.status_code}"
            if response.status_code < 300:
                report.loaded.append(line)
            else:
                report.failed.append(f"{line} {response.get_data(as_text=True)[:200]}")
        for line in report.failed:
            log.warning("demo data: %s", line)
        return report

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


def _starting(environ: dict[str, Any], start_response: Any) -> Any:
    body = json.dumps({"message": "the local stack is starting"})
    return Response(body, status=503, content_type="application/json")(environ, start_response)


def _demo(name: str) -> Any:
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------- serving


class PortInUse(Exception):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"port {port} on {host} is already in use")
        self.host = host
        self.port = port


class AccessLog(WSGIRequestHandler):
    """One log line per request of the local API (moto's own requests stay quiet)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logging.getLogger("local.http").info("%s %s -> %s", self.command, self.path, code)

    def log_message(self, format: str, *args: Any) -> None:
        logging.getLogger("local.http").debug(format, *args)


class Server:
    """The local stack's HTTP server on loopback: bound at once (a busy port fails fast), served in a thread.

    Until ``serve(app)`` it answers 503: the port is taken before the stack starts, so its URL is known.
    """

    def __init__(self, host: str = HOST, port: int = 3000) -> None:
        try:
            self._socket = socket.create_server((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise PortInUse(host, port) from error
            raise
        self._server: BaseWSGIServer = make_server(
            host, port, _starting, threaded=True, request_handler=AccessLog, fd=self._socket.fileno()
        )
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-http", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self._server.port}"

    def start(self) -> Server:
        self._thread.start()
        return self

    def serve(self, app: Any) -> None:
        self._server.app = app

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()
        self._socket.close()


@dataclass
class Launched:
    local: LocalStack
    server: Server
    aws: EmbeddedAws

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.local.stop()
        self.aws.stop()


def launch(
    *,
    port: int = 3000,
    keys: LocalKeys | None = None,
    template: Path = TEMPLATE,
    demo: bool = True,
    clock: bool = True,
) -> Launched:
    """What ``make run`` starts: the port first (a busy one fails before anything else), then moto, then the stack."""
    region = os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    server = Server(HOST, port).start()
    aws = EmbeddedAws(region)
    local: LocalStack | None = None
    try:
        stack = Stack.load(template, region=region, overrides=local_parameters(server.url))
        local = LocalStack(stack, keys=keys, demo=demo, clock=clock)
        server.serve(local)
        aws.start()
        local.start()
    except BaseException:
        server.stop()
        if local is not None:
            local.stop()
        aws.stop()
        raise
    return Launched(local, server, aws)


def iter_routes(local: LocalStack) -> Iterator[str]:
    for route in local.gateway.routes:
        yield f"{route.method:6} {route.path}  ({route.function}, {route.authorizer or 'public'})"
