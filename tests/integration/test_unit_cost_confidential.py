"""A line's ``unit_cost`` is confidential (SPEC section 9): kept in the order record, shown nowhere else.

One order whose cost is a marker value goes through every route that reads or writes it (commit,
replay, preview, a partial return, cancel), the account summary and ledger, the daily digest, and
the events the tables' streams carry; the marker must surface in none of them.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.dynamodb.models import dynamodb_backends

from local.outbox import sent_emails
from loyalty.events import events_of
from loyalty_aws import unsubscribe
from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from loyalty_aws.streams import change_of, table_roles
from tests.support.api import Api, activate
from tests.support.aws import REGION
from tests.support.events import scheduled_event
from tests.support.lambdas import ApiResponse, FakeLambdaContext, load_function
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration

MARKER = "987.6543"
SENDER = "rewards@example.com"
ORDER = {
    "order_id": "SO-1",
    "customer_id": "ACME",
    "placed_at": "2026-11-20T10:15:00Z",
    "currency": "EUR",
    "lines": [
        {"sku": "PUMP-7", "quantity": 1, "unit_price": "1200", "category": "pumps", "unit_cost": MARKER},
        {"sku": "HOSE-2", "quantity": 10, "unit_price": "10", "category": "pumps", "unit_cost": MARKER},
    ],
}
"""1,300.00: base 1300; margin (1200 - 987.6543) x 1 + max(10 - 987.6543, 0) x 10 = 212.3457, x 2 = 424."""


@pytest.fixture
def api(dynamodb: Any) -> Iterator[Api]:
    """The API and the digest's secret, sender and public URL, under the SPEC program with margin points."""
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="unsubscribe-signing-key", SecretString="a-local-signing-key-of-enough-length-0123456789"
    )
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
    extra = {
        "UNSUBSCRIBE_SECRET_ARN": secret["ARN"],
        "PUBLIC_BASE_URL": "https://rewards.example.test",
        "DIGEST_SENDER": SENDER,
    }
    os.environ.update(extra)
    settings.cache_clear()
    unsubscribe.signing_key.cache_clear()
    document = spec_document()
    document["rules"].append({"id": "margin", "kind": "margin_points", "points_per_unit": "2"})
    activate(document)
    yield Api()
    for name in extra:
        os.environ.pop(name, None)
    settings.cache_clear()
    unsubscribe.signing_key.cache_clear()


def stream_events() -> list[str]:
    """Every event the streamed tables' records map to so far, as the events function publishes their details."""
    client = boto3.client("dynamodb", region_name=REGION)
    roles = table_roles(settings())
    details = []
    for name in roles:
        arn = client.describe_table(TableName=name)["Table"].get("LatestStreamArn")
        shard = dynamodb_backends["123456789012"][REGION].get_table(name).stream_shard
        for record in shard.items if arn and shard is not None else []:
            raw = record.to_json()
            raw["dynamodb"] = {**raw["dynamodb"], "ApproximateCreationDateTime": 1795300000.0}
            change = change_of({**raw, "eventSourceARN": arn}, roles)
            details += [f"{event.detail_type} {event.detail_json()}" for event in events_of(change)]
    return details


def items_of(table: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", region_name=REGION)
    return [from_item(item) for item in client.scan(TableName=table)["Items"]]


def findings(text: str) -> list[str]:
    """What of the cost ``text`` gives away: its value, or the field's name."""
    return [secret for secret in (MARKER, "unit_cost") if secret in text]


def shown(response: ApiResponse) -> str:
    return json.dumps(response.body) + json.dumps(response.headers)


def test_a_unit_cost_is_kept_in_the_order_record_and_shown_nowhere(
    api: Api, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # GIVEN an opted-in account
    profile = {"email": "purchasing@acme.example", "name": "Acme", "locale": "en", "email_opt_in": True}
    assert api.put_profile(**profile).status == 200
    # WHEN an order with the marker cost is previewed, committed, committed again, partly returned, then cancelled
    answers = [
        api.preview({**ORDER, "order_id": "SO-0"}),
        api.commit(ORDER),
        api.commit(ORDER),
        api.return_lines("SO-1", return_id="R-1", lines=[{"sku": "HOSE-2", "quantity": 5}]),
    ]
    digest = load_function("functions/digest")
    digest.lambda_handler(scheduled_event("digest", "2026-11-21T07:00:00Z"), FakeLambdaContext())
    answers += [api.cancel("SO-1"), api.cancel("SO-1"), api.summary(), api.ledger()]

    # THEN every answer succeeded, and the margin was scored from the cost
    assert [answer.status for answer in answers] == [200, 201, 200, 201, 200, 200, 200, 200]
    committed = answers[1].body
    assert {line["rule"]: line["points"] for line in committed["breakdown"]}["margin"] == 424
    # AND the cost is kept where a backtest replays it: the order record
    (record,) = [item for item in items_of(settings().orders_table) if item.get("order_id") == "SO-1"]
    assert MARKER in record["record"]
    # AND it is in no answer, no log line, no ledger, account or code item, no event and no email
    for answer in answers:
        assert not findings(shown(answer))
    output = capfd.readouterr()
    logged = output.out + output.err + caplog.text
    assert "order committed" in logged
    assert not findings(logged)
    for table in (settings().ledger_table, settings().accounts_table, settings().codes_table):
        stored = json.dumps(items_of(table), default=str)
        assert not findings(stored), table
    events = stream_events()
    assert {text.split(" ", 1)[0] for text in events} >= {"order.committed", "order.returned", "order.cancelled"}
    assert not [text for text in events if findings(text)]
    emails = sent_emails(REGION)
    assert len(emails) == 1
    assert MARKER not in json.dumps(emails, default=str)


def test_a_refused_unit_cost_is_named_by_its_field_not_shown(
    api: Api, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN an order whose cost has five decimals
    caplog.set_level(logging.INFO)
    line = {**ORDER["lines"][0], "unit_cost": MARKER + "1"}
    # WHEN it is committed and previewed
    answers = [api.commit({**ORDER, "lines": [line]}), api.preview({**ORDER, "lines": [line]})]
    # THEN both are a 422 naming the line's field, and neither the answer nor the log shows the cost
    for answer in answers:
        assert answer.status == 422
        assert [detail["field"] for detail in answer.body["error"]["details"]] == ["lines.0.unit_cost"]
        assert MARKER not in json.dumps(answer.body)
    output = capfd.readouterr()
    assert MARKER not in output.out + output.err + caplog.text
