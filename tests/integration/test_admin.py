"""The admin function against DynamoDB (moto): program versions validated, activated, read."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from tests.support.api import Api, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("AdminFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    return Api()


def cold_admin() -> Api:
    instance = Api()
    assert instance.admin is not None  # loaded now, not in the thread
    return instance


def stored_versions(client: Any) -> list[int]:
    items = client.query(
        TableName=settings().programs_table,
        KeyConditionExpression="program_id = :id AND version > :pointer",
        ExpressionAttributeValues={":id": {"S": "default"}, ":pointer": {"N": "0"}},
    )["Items"]
    return [from_item(item)["version"] for item in items]


def fields_of(response: Any) -> list[str]:
    return [detail["field"] for detail in response.body["error"]["details"]]


def test_a_valid_program_is_activated_as_version_1_with_201(api: Api) -> None:
    response = api.put_program(spec_document())

    assert response.status == 201
    assert response.body["version"] == 1
    assert response.body["activated_at"].endswith("Z")
    assert response.body["program"]["name"] == "Acme B2B Rewards"
    assert response.body["program"]["rules"][1] == {
        "id": "bulk",
        "kind": "cart_quantity_bonus",
        "min_items": 500,
        "points": 1000,
    }


def test_the_active_version_is_read_back_with_200(api: Api) -> None:
    put = api.put_program(spec_document())

    response = api.get_program()

    assert response.status == 200
    assert response.body == put.body


def test_a_second_program_becomes_version_2_and_version_1_stays(api: Api, dynamodb: Any) -> None:
    api.put_program(spec_document())
    changed = {**spec_document(), "name": "Acme Rewards 2027"}

    response = api.put_program(changed)

    assert response.status == 201
    assert response.body["version"] == 2
    assert api.get_program().body["program"]["name"] == "Acme Rewards 2027"
    assert sorted(stored_versions(dynamodb)) == [1, 2]


def test_concurrent_activations_each_get_their_own_version(api: Api, dynamodb: Any) -> None:
    documents = [{**spec_document(), "name": f"Program {number}"} for number in range(4)]
    instances = [cold_admin() for _ in documents]  # one execution environment per concurrent request

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda instance, document: instance.put_program(document), instances, documents))

    assert {response.status for response in responses} == {201}
    assert sorted(response.body["version"] for response in responses) == [1, 2, 3, 4]
    assert sorted(stored_versions(dynamodb)) == [1, 2, 3, 4]


def test_a_new_function_instance_scores_with_the_activated_program(api: Api) -> None:
    api.put_program({**spec_document(), "rules": []})

    response = Api().commit(order())

    assert response.status == 201
    assert response.body["breakdown"] == [{"rule": "base", "points": 400}]


def test_without_a_program_the_read_is_a_503_no_active_program(api: Api) -> None:
    response = api.get_program()

    assert response.status == 503
    assert response.body["error"]["code"] == "no_active_program"


def test_an_invalid_rule_is_a_422_naming_its_field_path(api: Api, dynamodb: Any) -> None:
    document = spec_document()
    document["rules"][1]["points"] = -5

    response = api.put_program(document)

    assert response.status == 422
    assert response.body["error"]["code"] == "validation_error"
    assert fields_of(response) == ["rules.1.points"]
    assert stored_versions(dynamodb) == []


def test_every_invalid_field_is_named(api: Api) -> None:
    document = spec_document()
    document["currency"] = "euro"
    document["tiers"]["levels"][0]["threshold"] = 10
    document["rules"][3]["multiplier"] = "0.5"

    response = api.put_program(document)

    assert response.status == 422
    assert sorted(fields_of(response)) == ["currency", "rules.3.multiplier", "tiers.levels.0.threshold"]


def test_an_unknown_key_is_a_422_naming_it(api: Api) -> None:
    response = api.put_program({**spec_document(), "points_per_euro": "1"})

    assert response.status == 422
    assert fields_of(response) == ["points_per_euro"]


def test_an_unknown_rule_kind_is_a_422_on_the_rule(api: Api) -> None:
    document = spec_document()
    document["rules"].append({"id": "gift", "kind": "gift_card", "points": 5})

    response = api.put_program(document)

    assert response.status == 422
    assert fields_of(response) == ["rules.7"]


@pytest.mark.parametrize("body", [["not", "an", "object"], None, "text"])
def test_a_body_that_is_not_a_json_object_is_a_422(api: Api, body: Any) -> None:
    response = api.put_program(body)

    assert response.status == 422
    assert response.body["error"]["code"] == "validation_error"


# ---------------------------------------------------------------------- versions that apply at once


def test_the_next_preview_and_commit_score_with_the_version_just_stored_in_warm_functions(api: Api) -> None:
    # GIVEN version 1 in force and the orders function warm (its documents cached)
    api.put_program(spec_document())
    assert api.preview(order()).body["program_version"] == 1
    # WHEN version 2 drops every rule
    stored = api.put_program({**spec_document(), "rules": []})
    # THEN the very next preview and commit of the same warm function use version 2
    preview = api.preview(order())
    commit = api.commit(order())
    assert stored.body["version"] == 2
    assert (preview.body["program_version"], preview.body["breakdown"]) == (2, [{"rule": "base", "points": 400}])
    assert (commit.body["program_version"], commit.status) == (2, 201)


def test_a_replay_answers_the_stored_decision_with_its_version_after_a_new_version(api: Api) -> None:
    api.put_program(spec_document())
    first = api.commit(order())
    api.put_program({**spec_document(), "points_per_unit": "10"})

    replay = api.commit(order())

    assert (replay.status, replay.body) == (200, first.body)
    assert replay.body["program_version"] == 1


def test_a_staged_version_is_listed_as_scheduled_and_does_not_score_yet(api: Api) -> None:
    api.put_program(spec_document())

    staged = api.put_program({**spec_document(), "rules": [], "activates_at": "2100-01-01T00:00:00Z"})

    assert staged.status == 201
    assert {key: staged.body[key] for key in ("version", "status", "activated_at", "activates_at")} == {
        "version": 2,
        "status": "scheduled",
        "activated_at": None,
        "activates_at": "2100-01-01T00:00:00Z",
    }
    assert "activates_at" not in staged.body["program"]
    assert api.preview(order()).body["program_version"] == 1
    assert [(entry["version"], entry["status"]) for entry in api.program_versions().body["versions"]] == [
        (2, "scheduled"),
        (1, "active"),
    ]


def test_a_staging_time_in_the_past_is_a_422_on_activates_at(api: Api, dynamodb: Any) -> None:
    response = api.put_program({**spec_document(), "activates_at": "2001-01-01T00:00:00Z"})

    assert response.status == 422
    assert fields_of(response) == ["activates_at"]
    assert stored_versions(dynamodb) == []


def test_versions_are_listed_newest_first_without_their_documents_and_read_one_by_one(api: Api) -> None:
    api.put_program(spec_document())
    api.put_program({**spec_document(), "name": "Second"})

    listed = api.program_versions()
    first = api.program_version(1)

    assert listed.status == 200
    assert [entry["version"] for entry in listed.body["versions"]] == [2, 1]
    assert all("program" not in entry for entry in listed.body["versions"])
    assert listed.body["versions"][0]["activated_by"] == "local admin"
    assert (first.status, first.body["status"], first.body["program"]["name"]) == (200, "retired", "Acme B2B Rewards")


def test_a_rollback_puts_version_1_back_in_force_for_the_next_order(api: Api) -> None:
    api.put_program(spec_document())
    api.put_program({**spec_document(), "rules": []})

    restored = api.rollback(1)

    assert (restored.status, restored.body["version"], restored.body["status"]) == (200, 1, "active")
    assert restored.body["activated_by"] == "local admin"
    assert api.get_program().body["version"] == 1
    assert api.commit(order()).body["program_version"] == 1
    retired = api.program_version(2).body
    assert (retired["status"], retired["activated_at"] is not None) == ("retired", True)


def test_a_rollback_to_an_unknown_version_is_a_404(api: Api) -> None:
    api.put_program(spec_document())

    assert api.rollback(9).status == 404
    assert api.program_version(9).status == 404
