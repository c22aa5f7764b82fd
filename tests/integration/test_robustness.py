"""Bad input at the HTTP edge: every unreadable body is a 400, 413 or 415 in the error envelope, never a 5xx,
and path parameters are percent-decoded once, whichever route reads them."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from loyalty.buyers import BuyerTotals
from loyalty_aws.accounts import account_from_item, item_from_record
from loyalty_aws.settings import settings
from tests.integration.reconcile import reconcile
from tests.soak.scale import ITEM_SIZE_LIMIT, at_scale
from tests.support.api import Api, activate, order
from tests.support.aws import REGION, embedded_aws
from tests.support.events import api_event
from tests.support.lambdas import ApiResponse, call
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws() as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(spec_document())
    return Api()


def commit_raw(api: Api, body: str, *, base64_encoded: bool = False, **headers: str) -> ApiResponse:
    event = api_event("orders-commit", raw_body=body, headers=headers or None)
    event["isBase64Encoded"] = base64_encoded
    return call(api.orders, event)


def assert_envelope(response: ApiResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status == status, response.body
    assert set(response.body) == {"error"}
    error = response.body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    return error


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


class TestUnreadableBodies:
    @pytest.mark.parametrize(
        ("raw", "encoded"),
        [
            pytest.param(base64.b64encode(b'{"order_id": "\xff"}').decode(), True, id="invalid-utf8-bytes"),
            pytest.param(base64.b64encode(json.dumps(order()).encode("utf-16")).decode(), True, id="utf16"),
            pytest.param("bm90IGJhc2U2NA!!", True, id="not-base64"),
            pytest.param('{"order_id": ', False, id="truncated"),
            pytest.param(nested(5000), False, id="nested-5000"),
            pytest.param(nested(65), False, id="nested-65"),
            pytest.param('{"redeem_points": ' + "9" * 5000 + "}", False, id="5000-digit-number"),
            pytest.param('{"redeem_points": 0.' + "1" * 41 + "}", False, id="41-digit-decimal"),
            pytest.param('{"redeem_points": NaN}', False, id="nan"),
            pytest.param('{"customer_id": "\\ud800"}', False, id="lone-surrogate"),
        ],
    )
    def test_an_unreadable_body_is_a_400_in_the_envelope(
        self, api: Api, dynamodb: Any, raw: str, encoded: bool
    ) -> None:
        response = commit_raw(api, raw, base64_encoded=encoded)

        error = assert_envelope(response, 400, "malformed_body")
        assert error["details"][0]["field"] == "body"
        assert reconcile(dynamodb) == {}

    def test_a_malformed_json_body_names_the_body_not_a_character_offset(self, api: Api) -> None:
        response = commit_raw(api, '{"order_id": "SO-1", "lines": [}')

        error = assert_envelope(response, 400, "malformed_body")
        assert [detail["field"] for detail in error["details"]] == ["body"]
        assert "line 1 column" in error["message"]

    def test_json_nested_64_deep_is_read_and_answered_field_by_field(self, api: Api) -> None:
        response = commit_raw(api, json.dumps(order(codes=json.loads(nested(62)))))

        assert response.status == 422

    def test_a_body_over_one_megabyte_is_a_413(self, api: Api) -> None:
        body = json.dumps(order(buyer_id="x" * (1024 * 1024)))

        assert_envelope(commit_raw(api, body), 413, "body_too_large")

    @pytest.mark.parametrize(
        "content_type",
        ["multipart/form-data", "multipart/form-data; boundary=xyz", "text/plain", "application/xml"],
    )
    def test_a_body_of_another_media_type_is_a_415(self, api: Api, content_type: str) -> None:
        response = commit_raw(api, "--xyz\r\n\r\n--xyz--", **{"content-type": content_type})

        error = assert_envelope(response, 415, "unsupported_media_type")
        assert error["details"][0]["field"] == "content-type"

    def test_a_json_body_sent_as_a_form_is_told_to_send_the_json_header(self, api: Api) -> None:
        response = commit_raw(api, json.dumps(order()), **{"content-type": "application/x-www-form-urlencoded"})

        error = assert_envelope(response, 415, "unsupported_media_type")
        assert "content-type: application/json" in error["message"]
        assert "looks like JSON" in error["message"]

    def test_json_with_a_charset_is_read(self, api: Api) -> None:
        response = commit_raw(api, json.dumps(order()), **{"content-type": "application/json; charset=utf-8"})

        assert response.status == 201


class TestPathParameters:
    @pytest.mark.parametrize("customer_id", ["Müller", "ACME Nord", "🦆 Duck", "100%", "a/b", "x+y"])
    def test_an_account_created_by_an_order_is_read_back_at_its_percent_encoded_path(
        self, api: Api, customer_id: str
    ) -> None:
        assert api.commit(order(customer_id=customer_id)).status == 201

        summary = api.summary(customer_id)
        ledger = api.ledger(customer_id)

        assert summary.status == 200, summary.body
        assert summary.body["customer_id"] == customer_id
        assert summary.body["balance"] == 400
        assert ledger.status == 200
        assert len(ledger.body["entries"]) == 1

    def test_a_percent_encoded_order_id_is_cancelled(self, api: Api) -> None:
        assert api.commit(order(order_id="SO 1/ü")).status == 201

        response = api.cancel("SO 1/ü")

        assert response.status == 200
        assert response.body["order_id"] == "SO 1/ü"

    def test_the_raw_gateway_path_is_decoded_exactly_once(self, api: Api) -> None:
        # GIVEN an account whose id is literally "M%C3%BCller" (its path is M%25C3%25BCller)
        assert api.commit(order(customer_id="M%C3%BCller")).status == 201
        assert api.commit(order(order_id="SO-2", customer_id="Müller")).status == 201

        # WHEN each is read at its own encoded path THEN each is itself, not the other
        assert api.summary("M%C3%BCller").body["customer_id"] == "M%C3%BCller"
        assert api.summary("Müller").body["customer_id"] == "Müller"

    def test_a_path_that_is_not_percent_encoded_utf8_is_a_422_on_that_parameter(self, api: Api) -> None:
        event = api_event("customers-get", path_parameters={"customer_id": "x"})
        event["path"] = "/customers/%FF"

        response = call(api.customers, event)

        error = assert_envelope(response, 422, "validation_error")
        assert error["details"][0]["field"] == "customer_id"


class TestAFullAccountItem:
    """DynamoDB refuses an item past 400 KB: the request is a 409 ``item_too_large``, nothing is written."""

    def test_a_commit_that_would_pass_the_item_limit_is_a_409_and_writes_nothing(self, api: Api, dynamodb: Any) -> None:
        with at_scale():  # moto measures a 400 KB item attribute by attribute otherwise: half a minute
            # GIVEN an account whose item is a buyer or two short of DynamoDB's limit (thousands of buyers)
            assert api.commit(order(order_id="SO-1", buyer_id="first@acme.example")).status == 201
            fill_with_buyers(dynamodb, "ACME", target_bytes=ITEM_LIMIT - 40)
            before = account_item(dynamodb, "ACME")

            # WHEN an order of a new buyer would add that buyer and a lot to it
            response = api.commit(order(order_id="SO-2", buyer_id="newcomer@acme.example"))

            # THEN it is refused in the envelope, and neither the account nor the ledger moved
            error = assert_envelope(response, 409, "item_too_large")
            assert "nothing written" in error["message"]
            assert account_item(dynamodb, "ACME") == before
            assert api.commit(order(order_id="SO-2", buyer_id="newcomer@acme.example")).status == 409  # again
            assert reconcile(dynamodb) == {"ACME": int(before["balance"]["N"])}

    def test_a_profile_that_would_pass_the_item_limit_is_a_409_and_writes_nothing(
        self, api: Api, dynamodb: Any
    ) -> None:
        with at_scale():
            assert api.commit(order(order_id="SO-1", buyer_id="first@acme.example")).status == 201
            fill_with_buyers(dynamodb, "ACME", target_bytes=ITEM_LIMIT - 40)
            before = account_item(dynamodb, "ACME")

            response = api.put_profile("ACME", name="ACME Nord GmbH " * 12, email="buyer@acme.example")

            assert_envelope(response, 409, "item_too_large")
            assert account_item(dynamodb, "ACME") == before


ITEM_LIMIT = ITEM_SIZE_LIMIT
"""The item size moto refuses past (405,000 bytes): DynamoDB documents 400 KB, and takes up to 409-410 KB."""


def account_item(client: Any, customer_id: str) -> dict[str, Any]:
    table = settings().accounts_table
    return client.get_item(TableName=table, Key={"customer_id": {"S": customer_id}}, ConsistentRead=True)["Item"]


def fill_with_buyers(client: Any, customer_id: str, *, target_bytes: int) -> None:
    """Store the account again with enough buyers' totals that moto measures the item at about ``target_bytes``."""
    config = settings()
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(config.accounts_table)
    record = account_from_item(account_item(client, customer_id), customer_id)

    def store(count: int) -> int:
        buyers = tuple(
            BuyerTotals(buyer_id=f"buyer-{number:05d}@acme.example", orders=1, revenue=Decimal("10.00"))
            for number in range(count)
        )
        grown = dataclasses.replace(
            record, account=record.account.model_copy(update={"buyers": (*record.account.buyers, *buyers)})
        )
        client.put_item(
            TableName=config.accounts_table, Item=item_from_record(grown, config.due_shards, version=record.version)
        )
        return int(table.get_item(DynamoType({"S": customer_id})).size())

    base, hundred = store(0), store(100)
    count = (target_bytes - base) * 100 // (hundred - base)
    assert target_bytes - 200 < store(count) <= target_bytes
