"""PUT /customers/{id}/membership against DynamoDB (moto): invite and paid programs, windows, what non-members get."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration

NOVEMBER = {"member": True, "since": "2026-11-01T00:00:00Z", "until": "2026-11-15T00:00:00Z"}


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("CustomersFunction") as client:
        yield client


def program(mode: str) -> Api:
    activate({**spec_document(), "enrollment": {"mode": mode}})
    return Api()


def stored_membership(client: Any, customer_id: str = "ACME") -> Any:
    item = client.get_item(TableName=settings().accounts_table, Key={"customer_id": {"S": customer_id}})["Item"]
    return from_item(item).get("membership")


def test_an_invite_program_scores_orders_inside_the_window_only(dynamodb: Any) -> None:
    api = program("invite")
    # GIVEN an account enrolled for the first half of November (backdated)
    enrolled = api.membership(**NOVEMBER)
    assert enrolled.status == 200, enrolled.body
    assert enrolled.body == {"member": False, "since": "2026-11-01T00:00:00Z", "until": "2026-11-15T00:00:00Z"}

    # WHEN it orders 400.00 inside the window, then exactly at its end
    inside = api.commit(order(order_id="SO-1", placed_at="2026-11-02T10:00:00Z"))
    at_end = api.commit(order(order_id="SO-2", placed_at="2026-11-15T00:00:00Z"))

    # THEN the first earns its 400 base points, the second commits with nothing earned
    assert (inside.status, inside.body["points"], inside.body["member"]) == (201, 400, True)
    assert (at_end.status, at_end.body["points"], at_end.body["breakdown"], at_end.body["member"]) == (
        201,
        0,
        [],
        False,
    )
    summary = api.summary().body
    assert summary["balance"] == 400
    assert summary["membership"] == {
        "member": False,
        "since": "2026-11-01T00:00:00Z",
        "until": "2026-11-15T00:00:00Z",
    }
    assert stored_membership(dynamodb) == {
        "member": True,
        "since": "2026-11-01T00:00:00Z",
        "until": "2026-11-15T00:00:00Z",
    }


def test_a_non_member_cannot_redeem_preview_included_nor_claim(dynamodb: Any) -> None:
    api = program("invite")
    api.membership(**NOVEMBER)
    assert api.commit(order(order_id="SO-1")).body["points"] == 400

    preview = api.preview(order(order_id="SO-2", placed_at="2026-11-20T10:00:00Z", redeem_points=100))
    commit = api.commit(order(order_id="SO-2", placed_at="2026-11-20T10:00:00Z", redeem_points=100))

    assert (preview.status, preview.body["error"]["code"]) == (409, "not_member")
    assert (commit.status, commit.body["error"]["code"]) == (409, "not_member")


def test_an_open_program_shows_a_member_from_the_first_order(dynamodb: Any) -> None:
    api = program("open")
    api.commit(order())

    assert api.summary().body["membership"] == {"member": True, "since": "2026-11-02T10:00:00Z", "until": None}


def test_ending_a_membership_sets_until_to_now_and_a_repeat_answers_the_same(dynamodb: Any) -> None:
    api = program("invite")
    assert api.membership(member=True, since="2026-11-01T00:00:00Z").body["member"] is True

    ended = api.membership(member=False)
    again = api.membership(member=False)

    assert ended.status == 200
    assert ended.body["member"] is False
    assert ended.body["since"] == "2026-11-01T00:00:00Z"
    assert ended.body["until"] is not None
    assert again.body == ended.body
    assert stored_membership(dynamodb)["member"] is False


@pytest.mark.parametrize(
    ("mode", "body", "field"),
    [
        ("paid", {"member": True}, "until"),
        ("invite", {"member": False, "until": "2027-01-01T00:00:00Z"}, "until"),
        ("invite", {"member": True, "since": "1999-01-01T00:00:00Z"}, "since"),
        ("invite", {"member": 1}, "member"),
        ("invite", {"member": True, "until": "2026-10-01T00:00:00Z", "since": "2026-11-01T00:00:00Z"}, "until"),
    ],
)
def test_a_wrong_membership_is_a_422_naming_the_field(dynamodb: Any, mode: str, body: Any, field: str) -> None:
    api = program(mode)

    response = api.membership(**body)

    assert response.status == 422, response.body
    assert [detail["field"] for detail in response.body["error"]["details"]] == [field]
