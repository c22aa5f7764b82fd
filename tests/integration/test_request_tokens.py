"""A commit whose write succeeded but whose answer timed out: the SDK's retry is the same write, answered 201 once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_aws import clients
from tests.integration.reconcile import reconcile
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.support.faults import request_tokens, timeout_after_write
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws() as client, request_tokens():
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(spec_document())
    return Api()


def test_a_commit_written_before_its_answer_timed_out_is_a_201_exactly_once(api: Api, dynamodb: Any) -> None:
    # GIVEN DynamoDB applies the commit's transaction, but its answer is lost to a read timeout
    fault = timeout_after_write(clients.dynamodb())
    # WHEN the order is committed (the SDK retries the transaction)
    first = api.commit(order())
    again = api.commit(order())
    # THEN the retry carried the same token and was taken for the same write: 201, then a replay 200
    assert fault.calls >= 2
    assert fault.tokens[0] is not None
    assert fault.tokens[0] == fault.tokens[1]
    assert (first.status, again.status) == (201, 200)
    assert again.body == first.body
    assert reconcile(dynamodb) == {"ACME": 400}


def test_each_command_on_each_state_has_its_own_token(api: Api, dynamodb: Any) -> None:
    fault = timeout_after_write(clients.dynamodb(), count=0)

    api.commit(order())
    api.commit(order(order_id="SO-2"))
    api.cancel("SO-1")

    assert len(set(fault.tokens)) == 3
    assert all(token is not None and len(token) <= 36 for token in fault.tokens)


def test_a_cancel_written_before_its_answer_timed_out_is_answered_as_cancelled(api: Api, dynamodb: Any) -> None:
    api.commit(order())
    timeout_after_write(clients.dynamodb())

    cancelled = api.cancel("SO-1")

    assert cancelled.status == 200
    assert cancelled.body == {"order_id": "SO-1", "points_reversed": 400, "balance": 0}
    assert reconcile(dynamodb) == {"ACME": 0}
