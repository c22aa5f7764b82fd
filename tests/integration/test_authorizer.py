"""The API key authorizers against DynamoDB (moto): 401 for no or unknown key, Deny for the wrong role."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from loyalty_aws.codec import from_item
from loyalty_aws.keys import ApiKeyStore, key_hash
from loyalty_aws.settings import settings
from loyalty_aws.usage_plans import UsagePlans
from scripts.create_api_key import main as create_api_key
from tests.support.aws import embedded_aws
from tests.support.events import EVENTS
from tests.support.lambdas import FakeLambdaContext, load_function

pytestmark = pytest.mark.integration

STOREFRONT_KEY = "sf-4mQ9xK2pL7vN3rT8wY6zB1cD5fG0hJ"
ADMIN_KEY = "ad-7tR2yU9iO4pA6sD1fG3hJ8kL0zX5cV"
STAGE_WILDCARD = "arn:aws:execute-api:eu-central-1:123456789012:abc123/dev/*/*"

Authorizer = Callable[..., dict[str, Any]]


def request_event(api_key: str | None, *, header: str = "x-api-key", method_arn: str | None = None) -> dict[str, Any]:
    event = copy.deepcopy(json.loads((EVENTS / "authorizer" / "request.json").read_text(encoding="utf-8")))
    event["headers"] = {name: value for name, value in event["headers"].items() if name != "x-api-key"}
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
    if api_key is not None:
        event["headers"][header] = api_key
        event["multiValueHeaders"][header] = [api_key]
    if method_arn is not None:
        event["methodArn"] = method_arn
    return event


@pytest.fixture
def keys() -> Iterator[ApiKeyStore]:
    """The template's tables, with one storefront key and one admin key issued."""
    with embedded_aws("StorefrontAuthorizerFunction"):
        store = ApiKeyStore()
        at = datetime(2026, 1, 1, tzinfo=UTC)
        store.put(STOREFRONT_KEY, "storefront", "shop-eu", at=at)
        store.put(ADMIN_KEY, "admin", "ops", at=at)
        yield store


def authorizer(role: str, monkeypatch: pytest.MonkeyPatch) -> Authorizer:
    """The authorizer function deployed with ``REQUIRED_ROLE=role`` (it reads it once, at first use)."""
    module = load_function("functions/authorizer")
    with monkeypatch.context() as patch:
        patch.setenv("REQUIRED_ROLE", role)
        module.key_check()

    def authorize(api_key: str | None, **changes: Any) -> dict[str, Any]:
        return module.lambda_handler(request_event(api_key, **changes), FakeLambdaContext())

    return authorize


@pytest.fixture
def storefront(keys: ApiKeyStore, monkeypatch: pytest.MonkeyPatch) -> Authorizer:
    return authorizer("storefront", monkeypatch)


@pytest.fixture
def admin(keys: ApiKeyStore, monkeypatch: pytest.MonkeyPatch) -> Authorizer:
    return authorizer("admin", monkeypatch)


def storefront_identifier(authorize: Authorizer, api_key: str) -> str:
    return str(authorize(api_key)["usageIdentifierKey"])


def effect_of(policy: dict[str, Any]) -> str:
    [statement] = policy["policyDocument"]["Statement"]
    return str(statement["Effect"])


def test_a_storefront_key_passes_the_storefront_authorizer_with_its_label_and_role(storefront: Authorizer) -> None:
    policy = storefront(STOREFRONT_KEY)

    assert policy == {
        "principalId": "shop-eu",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [STAGE_WILDCARD]}],
        },
        "context": {"role": "storefront", "label": "shop-eu"},
        "usageIdentifierKey": hashlib.sha256(STOREFRONT_KEY.encode()).hexdigest(),
    }


def test_the_usage_identifier_is_a_valid_api_gateway_key_value_and_not_the_key(storefront: Authorizer) -> None:
    identifier = storefront(STOREFRONT_KEY)["usageIdentifierKey"]

    assert 20 <= len(identifier) <= 128  # API Gateway's bounds for an API key value
    assert STOREFRONT_KEY not in identifier


def test_a_denied_key_carries_no_usage_identifier(admin: Authorizer) -> None:
    assert "usageIdentifierKey" not in admin(STOREFRONT_KEY)


def test_the_allow_covers_every_method_of_the_stage_not_just_the_one_called(storefront: Authorizer) -> None:
    policy = storefront(
        STOREFRONT_KEY, method_arn="arn:aws:execute-api:eu-central-1:123456789012:abc123/dev/POST/orders/preview"
    )

    assert policy["policyDocument"]["Statement"][0]["Resource"] == [STAGE_WILDCARD]


def test_an_admin_key_passes_the_storefront_authorizer(storefront: Authorizer) -> None:
    policy = storefront(ADMIN_KEY)

    assert effect_of(policy) == "Allow"
    assert policy["context"] == {"role": "admin", "label": "ops"}


def test_an_admin_key_passes_the_admin_authorizer(admin: Authorizer) -> None:
    assert effect_of(admin(ADMIN_KEY)) == "Allow"


def test_a_storefront_key_is_denied_by_the_admin_authorizer(admin: Authorizer) -> None:
    policy = admin(STOREFRONT_KEY)

    assert effect_of(policy) == "Deny"
    assert policy["principalId"] == "shop-eu"
    assert policy["policyDocument"]["Statement"][0]["Resource"] == [STAGE_WILDCARD]


def test_a_request_without_a_key_is_unauthorized(storefront: Authorizer) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        storefront(None)


def test_an_empty_key_is_unauthorized(storefront: Authorizer) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        storefront("")


def test_an_unknown_key_is_unauthorized(admin: Authorizer) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        admin("sf-not-a-key-anyone-was-given")


@pytest.mark.parametrize("header", ["X-Api-Key", "X-API-KEY"])
def test_the_header_name_is_case_insensitive(storefront: Authorizer, header: str) -> None:
    assert effect_of(storefront(STOREFRONT_KEY, header=header)) == "Allow"


def test_no_key_ever_appears_in_the_logs(
    storefront: Authorizer, admin: Authorizer, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    unknown = "sf-unknown-key-zzzzzzzzzzzzzzzz"
    storefront(STOREFRONT_KEY)
    admin(STOREFRONT_KEY)
    with pytest.raises(Exception, match="Unauthorized"):
        storefront(unknown)

    output = capsys.readouterr()
    records = [json.dumps(vars(record), default=str) for record in caplog.records]  # message, extras, context
    logged = "\n".join([output.out, output.err, *records])
    assert "api key checked" in logged  # the logs were captured ...
    assert key_hash(STOREFRONT_KEY)[:8] in logged  # ... and name keys by a short hash prefix only
    for secret in (STOREFRONT_KEY, unknown, key_hash(STOREFRONT_KEY)):
        assert secret not in logged


def test_without_a_required_role_the_authorizer_refuses_to_run(
    keys: ApiKeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUIRED_ROLE")
    module = load_function("functions/authorizer")

    with pytest.raises(RuntimeError, match="REQUIRED_ROLE"):
        module.lambda_handler(request_event(STOREFRONT_KEY), FakeLambdaContext())


class TestCreateApiKey:
    def test_the_script_prints_a_new_key_that_the_authorizer_accepts(
        self, admin: Authorizer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        exit_code = create_api_key(["--role", "admin", "--label", "release-bot"])

        printed = capsys.readouterr().out.strip()
        assert exit_code == 0
        assert len(printed) >= 43  # 32 random bytes, URL-safe base64
        policy = admin(printed)
        assert effect_of(policy) == "Allow"
        assert policy["principalId"] == "release-bot"

    def test_the_table_holds_the_hash_never_the_key(
        self, admin: Authorizer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        create_api_key(["--role", "storefront", "--label", "shop-us"])
        printed = capsys.readouterr().out.strip()

        item = ApiKeyStore().client.get_item(
            TableName=settings().api_keys_table, Key={"key_hash": {"S": key_hash(printed)}}
        )["Item"]

        assert from_item(item)["role"] == "storefront"
        assert printed not in json.dumps(item)

    def test_every_run_issues_another_key(self, admin: Authorizer, capsys: pytest.CaptureFixture[str]) -> None:
        create_api_key(["--role", "storefront", "--label", "a"])
        create_api_key(["--role", "storefront", "--label", "b"])

        first, second = capsys.readouterr().out.split()

        assert first != second

    def test_with_a_usage_plan_the_key_is_registered_under_its_usage_identifier(
        self, storefront: Authorizer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        gateway = boto3.client("apigateway", region_name="eu-central-1")
        plan = gateway.create_usage_plan(name="storefront", throttle={"rateLimit": 5.0, "burstLimit": 10})

        exit_code = create_api_key(["--role", "storefront", "--label", "shop-fr", "--usage-plan", plan["id"]])

        printed = capsys.readouterr().out.strip()
        [gateway_key] = gateway.get_api_keys(includeValues=True)["items"]
        [plan_key] = gateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
        assert exit_code == 0
        assert gateway_key["value"] == storefront_identifier(storefront, printed)
        assert gateway_key["enabled"] is True
        assert printed not in json.dumps(gateway_key, default=str)
        assert plan_key["id"] == gateway_key["id"]
        assert UsagePlans(gateway).plan_of(printed) == plan["id"]

    def test_an_unknown_usage_plan_issues_no_key(self, admin: Authorizer) -> None:
        with pytest.raises(ClientError, match="NotFound"):
            create_api_key(["--role", "storefront", "--label", "shop-fr", "--usage-plan", "nosuchplan"])

        assert ApiKeyStore().client.scan(TableName=settings().api_keys_table)["Count"] == 2  # the fixture's two

    def test_an_unknown_role_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exit_info:
            create_api_key(["--role", "root", "--label", "x", "--table", "keys"])

        assert exit_info.value.code == 2
