"""A template is read for what SAM would deploy of it: routes, authorizers, schedules, queues, tables, secrets.

Expectations come from the stub template's YAML, read here independently of ``sam_emulator.template``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfn_tools import load_yaml

from sam_emulator.emulator import Emulator
from sam_emulator.template import Stack, api_id, flag, logical_id_of

pytestmark = pytest.mark.e2e


@pytest.fixture
def declared(stub_template: Path) -> dict[str, Any]:
    return load_yaml(stub_template.read_text(encoding="utf-8"))


def of_type(declared: dict[str, Any], kind: str) -> dict[str, Any]:
    return {name: spec for name, spec in declared["Resources"].items() if spec["Type"] == kind}


def events(declared: dict[str, Any], kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (function, name, event["Properties"])
        for function, spec in of_type(declared, "AWS::Serverless::Function").items()
        for name, event in (spec["Properties"].get("Events") or {}).items()
        if event["Type"] == kind
    ]


@pytest.fixture
def stack(stub_template: Path) -> Stack:
    return Stack.load(stub_template, region="eu-central-1", prefix="reader")


def test_routes_are_exactly_the_api_events(stack: Stack, declared: dict[str, Any]) -> None:
    expected = {(props["Method"].upper(), props["Path"], function) for function, _, props in events(declared, "Api")}
    assert {(route.method, route.path, route.function) for route in stack.api_routes()} == expected


def test_route_authorizers_follow_the_api_default_and_the_events_auth(stack: Stack) -> None:
    authorizers = {route.path: route.authorizer for route in stack.api_routes()}
    assert authorizers["/items/{item_id}"] == "KeyAuth"  # the API's DefaultAuthorizer
    assert authorizers["/uncached"] == "NoCacheAuth"  # the event's Auth.Authorizer
    assert authorizers["/public"] is None  # Authorizer: NONE


def test_api_stage_authorizers_and_gateway_responses(stack: Stack) -> None:
    api = stack.apis()["TestApi"]
    assert api.stage == "test"
    assert api.binary_media_types == ("application/x-custom-binary",)
    key_auth = api.authorizers["KeyAuth"]
    assert (key_auth.function, key_auth.payload_type, key_auth.identity_headers) == (
        "KeyAuthFunction",
        "REQUEST",
        ("x-api-key",),
    )
    assert key_auth.reauthorize_seconds == 300
    assert api.authorizers["NoCacheAuth"].reauthorize_seconds == 0
    assert api.gateway_responses["UNAUTHORIZED"]["StatusCode"] == 401


def test_schedules_are_the_schedule_events(stack: Stack) -> None:
    (schedule,) = stack.schedules()
    assert (schedule.function, schedule.event, schedule.expression) == ("JobFunction", "Nightly", "cron(0 2 * * ? *)")
    assert schedule.name == "reader-JobFunction-Nightly"
    assert schedule.arn == "arn:aws:events:eu-central-1:123456789012:rule/reader-JobFunction-Nightly"
    assert schedule.enabled


def test_queue_mappings_are_the_sqs_events(stack: Stack) -> None:
    (mapping,) = stack.queue_mappings()
    assert (mapping.function, mapping.queue, mapping.batch_size) == ("WorkerFunction", "WorkQueue", 2)
    assert mapping.report_batch_item_failures


def test_physical_names_take_the_prefix_and_references_resolve(stack: Stack) -> None:
    assert stack.physical_name("ItemsTable") == "reader-ItemsTable"
    assert stack.ref("WorkQueue") == "http://sqs.eu-central-1.localhost/123456789012/reader-WorkQueue"
    assert stack.ref("TestApi") == api_id("TestApi") == "testapi"
    assert stack.ref("SenderAddress") == "sender@example.com"
    assert stack.get_att("WorkQueue", "Arn") == "arn:aws:sqs:eu-central-1:123456789012:reader-WorkQueue"
    assert stack.function_environment("JobFunction")["WORK_QUEUE_URL"] == stack.queue_url("WorkQueue")


def test_parameters_take_their_default_unless_overridden(stub_template: Path) -> None:
    assert Stack.load(stub_template).parameters == {"Stage": "test", "Greeting": "hello from globals"}
    overridden = Stack.load(stub_template, overrides={"Stage": "qa"})
    assert overridden.parameters["Stage"] == "qa"
    assert overridden.apis()["TestApi"].stage == "qa"


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ({"Fn::Sub": "${Stage}-${AWS::Region}-${AWS::AccountId}"}, "test-eu-central-1-123456789012"),
        ({"Fn::Sub": ["${Name}.${AWS::URLSuffix}", {"Name": {"Ref": "Stage"}}]}, "test.amazonaws.com"),
        ({"Fn::Sub": "${WorkQueue.Arn}"}, "arn:aws:sqs:eu-central-1:123456789012:reader-WorkQueue"),
        ({"Fn::Join": ["/", ["a", {"Ref": "Stage"}]]}, "a/test"),
        ({"Fn::Select": [1, ["first", "second"]]}, "second"),
        ({"Fn::If": ["IsTest", "yes", "no"]}, "yes"),
        ({"Fn::Not": [{"Fn::Equals": [{"Ref": "Stage"}, "test"]}]}, False),
        ({"Fn::And": [{"Condition": "IsTest"}, {"Fn::Or": [False, True]}]}, True),
        ([{"Ref": "AWS::Partition"}, {"Ref": "AWS::NoValue"}], ["aws", None]),
    ],
)
def test_intrinsic_functions_resolve_as_cloudformation_would(stack: Stack, fragment: Any, expected: Any) -> None:
    conditions = {"IsTest": {"Fn::Equals": [{"Ref": "Stage"}, "test"]}}
    assert replace(stack, template={**stack.template, "Conditions": conditions}).resolve(fragment) == expected


def test_an_unknown_reference_names_itself(stack: Stack) -> None:
    with pytest.raises(KeyError, match="Nowhere"):
        stack.resolve({"Ref": "Nowhere"})


def test_template_helpers() -> None:
    assert logical_id_of({"Ref": "Queue"}) == logical_id_of({"Fn::GetAtt": "Queue.Arn"}) == "Queue"
    assert logical_id_of({"Fn::GetAtt": ["Queue", "Arn"]}) == "Queue"
    assert logical_id_of("arn:aws:sqs:...") is None
    assert (flag("True"), flag(False), flag(None, default=True)) == (True, False, True)


def test_tables_queues_secrets_and_identities_are_created_from_the_template(
    stub: Emulator, declared: dict[str, Any]
) -> None:
    # GIVEN the stub stack started (tables, queues, secrets and SES identities created from its template)
    region = stub.stack.region
    # THEN each table has its template's keys and indexes
    dynamodb = boto3.client("dynamodb", region_name=region)
    for name, spec in of_type(declared, "AWS::DynamoDB::Table").items():
        table = dynamodb.describe_table(TableName=f"local-{name}")["Table"]
        assert table["KeySchema"] == spec["Properties"]["KeySchema"]
        indexes = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
        assert indexes == {index["IndexName"] for index in spec["Properties"].get("GlobalSecondaryIndexes", [])}
    # AND each queue exists, with its redrive policy to its dead-letter queue
    sqs = boto3.client("sqs", region_name=region)
    names = sorted(url.rsplit("/", 1)[1] for url in sqs.list_queues()["QueueUrls"])
    assert names == sorted(f"local-{name}" for name in of_type(declared, "AWS::SQS::Queue"))
    attributes = sqs.get_queue_attributes(QueueUrl=stub.stack.queue_url("WorkQueue"), AttributeNames=["All"])
    assert "local-WorkDeadLetterQueue" in attributes["Attributes"]["RedrivePolicy"]
    # AND the generated secret has the declared length, the email identity is verified
    secret = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId="local-SigningSecret")
    assert len(secret["SecretString"]) == 40
    identities = boto3.client("sesv2", region_name=region).list_email_identities()["EmailIdentities"]
    assert [identity["IdentityName"] for identity in identities] == ["sender@example.com"]
