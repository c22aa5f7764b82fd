"""The referrals function against DynamoDB (moto): one stable code per account, and what using it does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from loyalty_service.codes import ALPHABET
from tests.integration.reconcile import reconcile
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("ReferralsFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(spec_document())
    return Api()


def environments(count: int) -> list[Api]:
    """``count`` warm execution environments of the referrals function, as concurrent requests would meet."""
    instances = [Api() for _ in range(count)]
    for instance in instances:
        assert instance.referrals is not None
    return instances


def referral_codes_of(client: Any, customer_id: str) -> list[dict[str, Any]]:
    items = client.query(
        TableName=settings().codes_table,
        IndexName="OwnerIndex",
        KeyConditionExpression="owner_id = :owner",
        ExpressionAttributeValues={":owner": {"S": customer_id}},
    )["Items"]
    return [from_item(item) for item in items if from_item(item)["kind"] == "referral"]


def account_item(client: Any, customer_id: str) -> dict[str, Any]:
    return from_item(
        client.get_item(TableName=settings().accounts_table, Key={"customer_id": {"S": customer_id}})["Item"]
    )


def test_the_first_request_creates_a_code_with_201(api: Api, dynamodb: Any) -> None:
    api.commit(order())

    response = api.referral_code()

    assert response.status == 201
    assert response.body == {"code": response.body["code"], "referrals": 0}
    assert account_item(dynamodb, "ACME")["referral_code"] == response.body["code"]


def test_the_code_is_8_or_more_unambiguous_characters(api: Api) -> None:
    code = api.referral_code().body["code"]

    assert re.fullmatch(rf"R[{ALPHABET}]{{8,}}", code)


def test_asking_again_answers_the_same_code_with_200(api: Api) -> None:
    first = api.referral_code()

    again = [api.referral_code() for _ in range(3)]

    assert {response.status for response in again} == {200}
    assert {response.body["code"] for response in again} == {first.body["code"]}


def test_8_concurrent_first_requests_create_one_code(api: Api, dynamodb: Any) -> None:
    api.commit(order())

    instances = environments(8)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda instance: instance.referral_code(), instances))

    assert sorted(response.status for response in responses) == [200] * 7 + [201]
    assert len({response.body["code"] for response in responses}) == 1
    assert len(referral_codes_of(dynamodb, "ACME")) == 1


def test_8_concurrent_first_requests_of_a_new_account_create_one_account_and_one_code(api: Api, dynamodb: Any) -> None:
    instances = environments(8)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda instance: instance.referral_code("NEWCO"), instances))

    assert len({response.body["code"] for response in responses}) == 1
    assert len(referral_codes_of(dynamodb, "NEWCO")) == 1
    assert account_item(dynamodb, "NEWCO")["version"] == 1


def test_an_account_may_ask_for_its_code_before_its_first_order(api: Api, dynamodb: Any) -> None:
    code = api.referral_code("NEWCO").body["code"]

    committed = api.commit(order(customer_id="NEWCO"))

    assert committed.status == 201
    assert api.summary("NEWCO").body["referral"] == {"code": code, "referrals": 0}
    assert reconcile(dynamodb) == {"NEWCO": committed.body["points"]}


def test_a_commit_after_the_code_was_issued_keeps_it_on_the_account(api: Api, dynamodb: Any) -> None:
    api.commit(order())
    code = api.referral_code().body["code"]

    api.commit(order(order_id="SO-2", placed_at="2026-11-03T10:00:00Z"))

    assert account_item(dynamodb, "ACME")["referral_code"] == code
    assert api.referral_code().body["code"] == code


def test_a_referees_first_order_with_the_code_counts_and_rewards_the_referrer(api: Api, dynamodb: Any) -> None:
    # GIVEN ACME's referral code
    api.commit(order())
    code = api.referral_code().body["code"]

    # WHEN a new company places its first order with it
    referee = api.commit(order(order_id="NEW-1", customer_id="NEWCO", placed_at="2026-11-05T09:00:00Z", codes=[code]))

    # THEN the referee gets its discount, ACME's count grows and its summary shows the reward code
    assert referee.status == 201
    assert referee.body["discounts"] == [{"source": "referral", "percent": "10", "amount": "40.00", "code": code}]
    assert api.referral_code().body == {"code": code, "referrals": 1}
    summary = api.summary().body
    assert summary["referral"] == {"code": code, "referrals": 1}
    [reward] = summary["discounts"]
    assert reward["percent"] == "5"
    assert reward["expires_at"] == "2027-01-04T09:00:00Z"  # 60 days after the referee's order
    assert reward["code"].startswith("RW-")
