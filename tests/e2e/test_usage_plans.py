"""Usage plans over HTTP: each key has its own daily quota (template parameters, overridden low here).

``make run`` on loopback sockets with ``StorefrontKeyDailyQuota=3``: a storefront key's fourth request
of the day is a 429 in the error envelope with ``Retry-After``, while another storefront key of the
same plan is still served.
"""

from __future__ import annotations

import contextlib
import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from local.stack import LocalKeys, launch, parameter_overrides
from loyalty_aws.keys import ApiKeyStore
from loyalty_cli.aws import local_usage_plan
from sam_emulator.server import Launched
from scripts.create_api_key import main as create_api_key
from tests.e2e.conftest import STOREFRONT_KEY
from tests.e2e.test_server import free_port

pytestmark = pytest.mark.e2e

QUOTA = 3


def get(url: str, key: str) -> tuple[int, dict[str, str], object]:
    request = urllib.request.Request(url, headers={"x-api-key": key})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read() or b"null")


@pytest.fixture(scope="module")
def running() -> Iterator[Launched]:
    stack = launch(port=free_port(), keys=LocalKeys(), demo=False, overrides={"StorefrontKeyDailyQuota": str(QUOTA)})
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def second_key(running: Launched) -> str:
    """Another storefront key, issued as an operator does: stored, and registered with the storefront plan."""
    app = running.app
    table = app.stack.function_environment("StorefrontAuthorizerFunction")["API_KEYS_TABLE"]
    assert app.gateway.meter is not None
    plan = app.gateway.meter.plan_id("StorefrontUsagePlan")
    assert plan is not None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exit_code = create_api_key(["--role", "storefront", "--label", "b", "--table", table, "--usage-plan", plan])
    assert exit_code == 0
    return printed.getvalue().strip()


def test_the_template_quota_reaches_the_local_plan(running: Launched) -> None:
    plans = running.app.stack.usage_plans()

    assert plans["StorefrontUsagePlan"].quota == QUOTA
    assert plans["StorefrontUsagePlan"].period == "DAY"
    assert plans["AdminUsagePlan"].quota is None


def test_a_key_past_its_daily_quota_gets_429_while_another_key_is_served(running: Launched, second_key: str) -> None:
    url = f"{running.url}/customers/NOBODY"

    first = [get(url, STOREFRONT_KEY)[0] for _ in range(QUOTA)]
    status, headers, body = get(url, STOREFRONT_KEY)
    other_status, _, _ = get(url, second_key)

    # Served: the function answers (no program is loaded: the demo data would spend the quota).
    assert first == [503] * QUOTA
    assert status == 429
    assert body == {
        "error": {"code": "quota_exceeded", "message": "this API key has used its daily quota", "details": []}
    }
    assert 1 <= int(headers["Retry-After"]) <= 24 * 3600
    assert other_status == 503


def test_a_key_in_no_usage_plan_is_forbidden(running: Launched) -> None:
    app = running.app
    table = app.stack.function_environment("StorefrontAuthorizerFunction")["API_KEYS_TABLE"]
    ApiKeyStore(app.client("dynamodb"), table=table).put(
        "sf-never-registered-with-the-gateway", "storefront", "unmetered", at=datetime.now(UTC)
    )

    status, _, body = get(f"{running.url}/customers/NOBODY", "sf-never-registered-with-the-gateway")

    assert status == 403
    message = "this API key is not enabled for this API"
    assert body == {"error": {"code": "forbidden", "message": message, "details": []}}


def test_parameter_overrides_read_as_sam_deploy_takes_them() -> None:
    assert parameter_overrides("StorefrontKeyRateLimit=1  StorefrontKeyDailyQuota=10") == {
        "StorefrontKeyRateLimit": "1",
        "StorefrontKeyDailyQuota": "10",
    }
    assert parameter_overrides(None) == {}


def test_a_parameter_override_without_a_value_is_refused() -> None:
    with pytest.raises(ValueError, match="'StorefrontKeyRateLimit' is not Name=Value"):
        parameter_overrides("StorefrontKeyRateLimit")


def test_the_key_command_defaults_to_the_local_plan_of_the_role(running: Launched) -> None:
    meter = running.app.gateway.meter
    assert meter is not None

    admin_plan = local_usage_plan("admin")

    assert admin_plan == meter.plan_id("AdminUsagePlan")
    assert local_usage_plan("storefront") == meter.plan_id("StorefrontUsagePlan")
