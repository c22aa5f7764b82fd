"""template.yaml is the single source of truth: the local stack serves its routes, tables, queues and jobs,
and nothing else. Expectations are read from the YAML here, independently of ``local.cloudformation``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cfn_tools import load_yaml

from local.cloudformation import TEMPLATE
from local.stack import LocalStack
from sam_emulator.testing import Http
from tests.e2e.conftest import REGION, STOREFRONT_KEY, embedded, project_stack

pytestmark = pytest.mark.e2e

DECLARED: dict[str, Any] = load_yaml(TEMPLATE.read_text(encoding="utf-8"))


def declared(kind: str) -> dict[str, Any]:
    return {name: spec for name, spec in DECLARED["Resources"].items() if spec["Type"] == kind}


def declared_events(*kinds: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (function, event)
        for function, spec in declared("AWS::Serverless::Function").items()
        for event in (spec["Properties"].get("Events") or {}).values()
        if event["Type"] in kinds
    ]


@pytest.fixture(scope="module")
def project() -> Iterator[LocalStack]:
    with embedded(project_stack(), demo=False, warm=False) as local:
        yield local


def test_routes_are_exactly_the_api_events_of_the_template(project: LocalStack) -> None:
    expected = {
        (event["Properties"]["Method"].upper(), event["Properties"]["Path"], function)
        for function, event in declared_events("Api")
    }
    served = {(route.method, route.path, route.function) for route in project.gateway.routes}
    assert served == expected


def test_route_authorizers_follow_the_api_default_and_the_events_auth(project: LocalStack) -> None:
    default = declared("AWS::Serverless::Api")["LoyaltyApi"]["Properties"]["Auth"]["DefaultAuthorizer"]
    expected = {}
    for _, event in declared_events("Api"):
        authorizer = (event["Properties"].get("Auth") or {}).get("Authorizer", default)
        expected[(event["Properties"]["Method"].upper(), event["Properties"]["Path"])] = (
            None if authorizer == "NONE" else authorizer
        )
    assert {(route.method, route.path): route.authorizer for route in project.gateway.routes} == expected


def test_every_declared_route_is_reachable_and_guarded(project: LocalStack) -> None:
    http = Http(project)
    for route in project.gateway.routes:
        path = route.path.replace("{customer_id}", "ACME").replace("{order_id}", "SO-1")
        reply = http.request(route.method, path, anonymous=True)
        if route.authorizer is None:
            assert reply.status != 404, path
        else:
            assert reply.status == 401, (route.method, path)


def test_an_undeclared_route_is_the_templates_missing_authentication_token_response(project: LocalStack) -> None:
    template_response = DECLARED["Resources"]["LoyaltyApi"]["Properties"]["GatewayResponses"]
    reply = Http(project).get("/orders", key=STOREFRONT_KEY)  # only POST /orders is declared
    assert reply.status == int(template_response["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"])
    assert reply.body == {"error": {"code": "not_found", "message": "no such route", "details": []}}


def test_tables_and_their_indexes_are_the_templates(project: LocalStack) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    tables = declared("AWS::DynamoDB::Table")
    assert sorted(dynamodb.list_tables()["TableNames"]) == sorted(f"loyalty-local-{name}" for name in tables)
    for name, spec in tables.items():
        table = dynamodb.describe_table(TableName=f"loyalty-local-{name}")["Table"]
        assert table["KeySchema"] == spec["Properties"]["KeySchema"]
        indexes = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
        assert indexes == {index["IndexName"] for index in spec["Properties"].get("GlobalSecondaryIndexes", [])}


def test_queues_are_the_templates_with_their_dead_letter_queues(project: LocalStack) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    queues = declared("AWS::SQS::Queue")
    urls = sqs.list_queues().get("QueueUrls", [])
    assert sorted(url.rsplit("/", 1)[1] for url in urls) == sorted(f"loyalty-local-{name}" for name in queues)
    for name, spec in queues.items():
        redrive = spec["Properties"].get("RedrivePolicy")
        attributes = sqs.get_queue_attributes(QueueUrl=project.stack.queue_url(name), AttributeNames=["All"])
        assert ("RedrivePolicy" in attributes["Attributes"]) == (redrive is not None)


def test_jobs_are_the_functions_with_a_schedule(project: LocalStack) -> None:
    expected = {function.removesuffix("Function").lower(): function for function, _ in declared_events("Schedule")}
    assert {name: schedule.function for name, schedule in project.jobs.items()} == expected
    assert Http(project).get("/_local/jobs").body["jobs"] == [
        {
            "name": name,
            "function": function,
            "schedule": f"loyalty-local-{function}-{schedule.event}",
            "expression": project.stack.resolve(
                declared("AWS::Serverless::Function")[function]["Properties"]["Events"][schedule.event]["Properties"][
                    "Schedule"
                ]
            ),
            "enabled": True,
        }
        for name, function in sorted(expected.items())
        for schedule in [project.jobs[name]]
    ]


def test_sqs_event_sources_are_the_templates(project: LocalStack) -> None:
    assert project.queues is not None
    expected = {
        (function, event["Properties"]["Queue"]["Fn::GetAtt"][0], event["Properties"]["BatchSize"])
        for function, event in declared_events("SQS")
    }
    assert {(s.mapping.function, s.mapping.queue, s.mapping.batch_size) for s in project.queues.sources} == expected


def test_swagger_ui_is_served_offline(project: LocalStack) -> None:
    reply = Http(project).get("/swagger", anonymous=True)
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in reply.text
    assert "<script src=" not in reply.text
    assert "rel='stylesheet'" not in reply.text


def test_swagger_document_has_every_route_and_points_here(project: LocalStack) -> None:
    document = Http(project).get("/swagger?format=json", anonymous=True).body
    assert document["servers"] == [{"url": "/"}]
    for route in project.gateway.routes:
        assert route.method.lower() in document["paths"][route.path], (route.method, route.path)
