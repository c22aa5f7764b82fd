"""The local stack: template.yaml emulated by ``sam_emulator``, with what is this project's on top:
the local API keys, the demo data, the Swagger UI, and the parameters that point links at this machine.

``LocalStack`` is a WSGI app (an ``Emulator``). It works against whatever AWS the process points at:
moto's server (``launch``, what ``make run`` does) or moto's in-process ``mock_aws`` (the e2e tests).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from local.cloudformation import REGION, TEMPLATE, Stack
from local.swagger import Swagger
from sam_emulator.emulator import Emulator
from sam_emulator.server import Launched
from sam_emulator.server import launch as launch_emulator

log = logging.getLogger("local")

DEMO = Path(__file__).resolve().parent / "demo"


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


def usage_plan_of(role: str) -> str:
    """The logical id of the template's usage plan for keys of ``role``."""
    return f"{role.capitalize()}UsagePlan"


def parameter_overrides(text: str | None) -> dict[str, str]:
    """``Name=Value Name=Value`` (as ``sam deploy --parameter-overrides`` takes them) as a mapping."""
    overrides = {}
    for pair in (text or "").split():
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise ValueError(f"parameter override {pair!r} is not Name=Value")
        overrides[name] = value
    return overrides


def local_region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION") or REGION


@dataclass
class DemoReport:
    loaded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class LocalStack(Emulator):
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
        super().__init__(stack or Stack.load(region=local_region()), clock=clock, warm=warm)
        self.keys = keys or LocalKeys()
        self.demo = demo
        self.demo_report = DemoReport()
        self.control.add("/swagger", Swagger(self.functions))

    def provision(self) -> None:
        """The template's resources, and the local keys in the table the authorizers read."""
        super().provision()
        self.seed_keys(self.client("dynamodb"))

    def populate(self) -> None:
        webhook = os.environ.get("LOCAL_WEBHOOK_URL")
        if webhook:
            from local.webhook import Webhook
            from sam_emulator.bus import listen

            listen(Webhook(webhook, os.environ.get("LOCAL_WEBHOOK_SECRET") or "local-webhook-secret"))
        if self.demo:
            self.demo_report = self.load_demo()

    def status(self) -> dict[str, Any]:
        demo = {"loaded": len(self.demo_report.loaded), "failed": self.demo_report.failed}
        return {**super().status(), "demo": demo}

    # ------------------------------------------------------------------ data

    def seed_keys(self, dynamodb: Any) -> list[str]:
        """Store the local keys in the table the authorizers read (``API_KEYS_TABLE``), once per table, and
        register each with its role's usage plan (``StorefrontUsagePlan``, ``AdminUsagePlan``) as an operator
        does with ``loyalty create-api-key --usage-plan``."""
        from loyalty_aws.keys import ApiKeyStore

        self.register_keys()
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

    def register_keys(self) -> None:
        from loyalty_aws.usage_plans import UsagePlans

        meter = self.gateway.meter
        if meter is None:
            return
        plans = UsagePlans(self.client("apigateway"))
        for role, key in (("storefront", self.keys.storefront), ("admin", self.keys.admin)):
            plan_id = meter.plan_id(usage_plan_of(role))
            if plan_id is not None:
                plans.register(key, f"local {role}", plan_id)

    def load_demo(self) -> DemoReport:
        """The demo program, accounts and orders of ``local/demo``, sent through the API like any client would."""
        report = DemoReport()
        client = Client(self.gateway)
        admin = {"x-api-key": self.keys.admin}
        storefront = {"x-api-key": self.keys.storefront}
        program = _demo("program.json")
        sender = (program.get("emails") or {}).get("from")
        if sender:  # as an operator verifies the program's sender in SES
            self.client("sesv2").create_email_identity(EmailIdentity=sender)
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


def _demo(name: str) -> Any:
    return json.loads((DEMO / name).read_text(encoding="utf-8"))


def launch(
    *,
    port: int = 3000,
    keys: LocalKeys | None = None,
    template: Path = TEMPLATE,
    demo: bool = True,
    clock: bool = True,
    overrides: dict[str, str] | None = None,
) -> Launched[LocalStack]:
    """What ``make run`` starts: the port first (a busy one fails before anything else), then moto, then the stack.

    ``overrides``: template parameter values (``LOCAL_PARAMETER_OVERRIDES`` for ``make run``), e.g. low usage
    plan limits to see the 429s.
    """
    region = local_region()

    def build(url: str) -> LocalStack:
        stack = Stack.load(template, region=region, overrides={**(overrides or {}), **local_parameters(url)})
        return LocalStack(stack, keys=keys, demo=demo, clock=clock)

    return launch_emulator(build, region=region, port=port)
