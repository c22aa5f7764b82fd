"""The customers function against DynamoDB (moto): profiles, the account summary, the ledger, NPS, GDPR erasure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from tests.integration.reconcile import reconcile
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration

PROFILE: dict[str, Any] = {
    "email": "purchasing@acme.example",
    "name": "Acme Industrial Supply",
    "segment": "wholesale",
    "locale": "de",
    "email_opt_in": True,
}
BULK_ORDER = order(
    order_id="SO-2",
    placed_at="2026-11-10T10:00:00Z",
    lines=[{"sku": "BOLT-M8", "quantity": 1000, "unit_price": "0.60", "category": "fasteners"}],
)
"""1,000 fasteners for 600.00: base 600 + fasteners 600 + bulk 1000, and a 5% next-purchase code."""


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("CustomersFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(spec_document())
    return Api()


def account_item(client: Any, customer_id: str = "ACME") -> dict[str, Any]:
    item = client.get_item(TableName=settings().accounts_table, Key={"customer_id": {"S": customer_id}})["Item"]
    return from_item(item)


def everything_stored(client: Any) -> str:
    """Every item of every table, as text (test-only: it scans)."""
    config = settings()
    tables = (config.accounts_table, config.ledger_table, config.orders_table, config.codes_table)
    return json.dumps([client.scan(TableName=table)["Items"] for table in tables])


class TestSummary:
    def test_after_two_orders_the_summary_has_the_spec_shape_and_exact_values(self, api: Api) -> None:
        # GIVEN a Bronze account with 400 points, then 1,000 fasteners that make it Silver and issue a code
        assert api.commit(order()).body["points"] == 400
        second = api.commit(BULK_ORDER)
        assert second.body["points"] == 2200

        # WHEN the storefront reads the account
        response = api.summary()

        # THEN every field is as SPEC section 4 shows it
        assert response.status == 200
        assert response.body == {
            "customer_id": "ACME",
            "segment": None,
            "balance": 2600,
            "points_value": "26.00",
            "tier": "Silver",
            "tier_progress": {"basis": "quantity", "volume": 1010, "next_tier": "Gold", "remaining": 3990},
            "expiring": [
                {"points": 400, "expires_at": "2027-11-02T10:00:00Z"},
                {"points": 2200, "expires_at": "2027-11-10T10:00:00Z"},
            ],
            "discounts": [
                {"code": second.body["issued_discount"]["code"], "percent": "5", "expires_at": "2026-12-10T10:00:00Z"}
            ],
            "referral": None,
            "membership": {"member": True, "since": "2026-11-02T10:00:00Z", "until": None},
            "partner": None,
        }

    def test_the_summary_shows_the_referral_code_once_requested(self, api: Api) -> None:
        api.commit(order())
        code = api.referral_code().body["code"]

        response = api.summary()

        assert response.body["referral"] == {"code": code, "referrals": 0}

    def test_a_used_discount_code_leaves_the_summary(self, api: Api) -> None:
        issued = api.commit(BULK_ORDER).body["issued_discount"]["code"]

        api.commit(order(order_id="SO-3", placed_at="2026-11-20T10:00:00Z", codes=[issued]))

        assert api.summary().body["discounts"] == []

    def test_redeemed_points_leave_the_oldest_lot_first(self, api: Api) -> None:
        api.commit(order())
        api.commit(BULK_ORDER)

        api.commit(order(order_id="SO-3", placed_at="2026-11-20T10:00:00Z", redeem_points=500))

        expiring = api.summary().body["expiring"]
        assert expiring[0] == {"points": 2100, "expires_at": "2027-11-10T10:00:00Z"}  # the 400 of SO-1 are spent
        assert [lot["expires_at"] for lot in expiring] == ["2027-11-10T10:00:00Z", "2027-11-20T10:00:00Z"]

    def test_with_a_spend_basis_volume_and_remaining_are_amounts(self, api: Api) -> None:
        document = spec_document()
        document["tiers"] = {
            "basis": "spend",
            "window_days": 365,
            "levels": [{"name": "Bronze", "threshold": 0}, {"name": "Silver", "threshold": "1000"}],
        }
        activate(document)
        api.commit(order())

        progress = Api().summary().body["tier_progress"]

        assert progress == {"basis": "spend", "volume": "400.00", "next_tier": "Silver", "remaining": "600.00"}

    def test_an_unknown_account_is_a_404(self, api: Api) -> None:
        response = api.summary("NOBODY")

        assert response.status == 404
        assert response.body["error"]["code"] == "not_found"

    def test_without_an_active_program_the_summary_is_a_503(self, dynamodb: Any) -> None:
        response = Api().summary()

        assert response.status == 503
        assert response.body["error"]["code"] == "no_active_program"


class TestProfile:
    def test_putting_a_profile_answers_the_summary_with_its_segment(self, api: Api) -> None:
        api.commit(order())

        response = api.put_profile(**PROFILE)

        assert response.status == 200
        assert response.body["segment"] == "wholesale"
        assert response.body["balance"] == 400

    def test_the_profile_is_stored_on_the_account_and_its_version_moves_on(self, api: Api, dynamodb: Any) -> None:
        api.commit(order())
        before = account_item(dynamodb)["version"]

        api.put_profile(**PROFILE)

        item = account_item(dynamodb)
        assert item["profile"] == PROFILE
        assert item["version"] == before + 1

    def test_a_profile_for_a_new_account_creates_it_with_a_zero_balance(self, api: Api, dynamodb: Any) -> None:
        response = api.put_profile("NEWCO", email="buyer@newco.example")

        assert response.status == 200
        assert response.body["balance"] == 0
        assert response.body["tier"] == "Bronze"
        assert reconcile(dynamodb) == {"NEWCO": 0}

    def test_a_commit_after_a_profile_update_keeps_the_profile(self, api: Api, dynamodb: Any) -> None:
        api.put_profile(**PROFILE)

        api.commit(order())

        assert account_item(dynamodb)["profile"]["email"] == "purchasing@acme.example"

    def test_the_profile_segment_is_the_one_scoring_uses(self, api: Api) -> None:
        api.put_profile(segment="staff")

        response = api.commit(order())

        assert response.body["points"] == 0

    def test_a_profile_without_a_segment_removes_the_segment(self, api: Api) -> None:
        api.put_profile(**PROFILE)

        response = api.put_profile(email="purchasing@acme.example")

        assert response.body["segment"] is None

    def test_an_invalid_email_is_a_422_on_the_email_field(self, api: Api) -> None:
        response = api.put_profile(**{**PROFILE, "email": "not-an-email"})

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["email"]

    def test_an_unknown_profile_field_is_a_422_naming_it(self, api: Api) -> None:
        response = api.put_profile(**{**PROFILE, "phone": "+49 30 1234"})

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["phone"]

    def test_without_an_active_program_a_profile_is_refused_and_nothing_is_written(self, dynamodb: Any) -> None:
        response = Api().put_profile(**PROFILE)

        assert response.status == 503
        assert "Item" not in dynamodb.get_item(TableName=settings().accounts_table, Key={"customer_id": {"S": "ACME"}})


class TestLedger:
    def test_three_pages_list_every_entry_once_newest_first(self, api: Api) -> None:
        for day in range(1, 6):
            api.commit(
                order(
                    order_id=f"SO-{day}",
                    placed_at=f"2026-11-0{day}T10:00:00Z",
                    lines=[{"sku": "BOLT-M8", "quantity": 1, "unit_price": "10.00"}],
                    buyer_id="jane@acme.example",
                )
            )

        first = api.ledger(limit="2")
        second = api.ledger(limit="2", cursor=first.body["next_cursor"])
        third = api.ledger(limit="2", cursor=second.body["next_cursor"])

        pages = [first.body["entries"], second.body["entries"], third.body["entries"]]
        assert [len(page) for page in pages] == [2, 2, 1]
        assert [entry["order_id"] for page in pages for entry in page] == ["SO-5", "SO-4", "SO-3", "SO-2", "SO-1"]
        assert third.body["next_cursor"] is None
        assert first.body["entries"][0] == {
            "at": "2026-11-05T10:00:00Z",
            "kind": "earn",
            "points": 10,
            "rule": "base",
            "order_id": "SO-5",
            "buyer_id": "jane@acme.example",
            "ref": None,
        }

    def test_the_default_page_holds_20_entries(self, api: Api) -> None:
        api.commit(order())
        api.commit(BULK_ORDER)

        response = api.ledger()

        assert response.status == 200
        assert sum(entry["points"] for entry in response.body["entries"]) == 2600
        assert response.body["next_cursor"] is None

    def test_a_cancel_shows_as_reverse_entries(self, api: Api) -> None:
        api.commit(order())
        api.cancel("SO-1")

        entries = api.ledger().body["entries"]

        assert sorted((entry["kind"], entry["points"]) for entry in entries) == [("earn", 400), ("reverse", -400)]

    def test_an_account_without_entries_has_an_empty_ledger(self, api: Api) -> None:
        api.put_profile(email="buyer@acme.example")

        response = api.ledger()

        assert response.status == 200
        assert response.body == {"entries": [], "next_cursor": None}

    def test_an_unknown_account_is_a_404(self, api: Api) -> None:
        response = api.ledger("NOBODY")

        assert response.status == 404

    @pytest.mark.parametrize("limit", ["0", "101", "ten"])
    def test_a_limit_outside_1_to_100_is_a_422_on_limit(self, api: Api, limit: str) -> None:
        response = api.ledger(limit=limit)

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["limit"]

    def test_a_cursor_that_is_not_one_is_a_422_on_cursor(self, api: Api) -> None:
        api.commit(order())

        response = api.ledger(cursor="not-a-cursor")

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["cursor"]

    def test_a_cursor_of_another_account_is_a_422(self, api: Api) -> None:
        for number in (1, 2):
            api.commit(order(order_id=f"SO-{number}", customer_id="OTHER"))
        cursor = api.ledger("OTHER", limit="1").body["next_cursor"]

        response = api.ledger(cursor=cursor)

        assert response.status == 422


class TestNps:
    def test_an_answer_is_stored_and_answered_with_201(self, api: Api, dynamodb: Any) -> None:
        response = api.nps(score=9, answered_at="2026-11-20T10:15:00Z")

        assert response.status == 201
        assert response.body == {"customer_id": "ACME", "score": 9, "answered_at": "2026-11-20T10:15:00Z"}
        items = dynamodb.query(
            TableName=settings().surveys_table,
            KeyConditionExpression="customer_id = :c",
            ExpressionAttributeValues={":c": {"S": "ACME"}},
        )["Items"]
        stored = [from_item(item) for item in items]
        assert [{name: value for name, value in item.items() if name != "day_shard"} for item in stored] == [
            {"customer_id": "ACME", "answered_at": "2026-11-20T10:15:00Z", "score": 9}
        ]
        assert stored[0]["day_shard"].startswith("2026-11-20#")  # in SurveysByDayIndex, for the KPIs

    def test_a_retried_post_counts_once_and_answers_the_same(self, api: Api, dynamodb: Any) -> None:
        first = api.nps(score=7)

        retries = [api.nps(score=7) for _ in range(3)]

        assert {response.status for response in retries} == {201}
        assert all(response.body == first.body for response in retries)
        assert dynamodb.scan(TableName=settings().surveys_table)["Count"] == 1

    def test_another_score_is_another_answer(self, api: Api, dynamodb: Any) -> None:
        api.nps(score=7, answered_at="2026-11-20T10:15:00Z")

        api.nps(score=8, answered_at="2026-11-21T10:15:00Z")

        assert dynamodb.scan(TableName=settings().surveys_table)["Count"] == 2

    @pytest.mark.parametrize("score", [11, -1, "9", 9.5])
    def test_a_score_outside_0_to_10_is_a_422_on_score(self, api: Api, score: Any) -> None:
        response = api.nps(score=score)

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["score"]

    def test_an_answer_time_without_offset_is_a_422_on_answered_at(self, api: Api) -> None:
        response = api.nps(score=9, answered_at="2026-11-20T10:15:00")

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["answered_at"]

    def test_an_answer_for_an_account_without_orders_creates_no_account(self, api: Api, dynamodb: Any) -> None:
        response = api.nps("PROSPECT", score=10)

        assert response.status == 201
        assert reconcile(dynamodb) == {}


class TestErase:
    @pytest.fixture
    def erasable(self, api: Api) -> Api:
        """ACME with a profile and two orders placed by a named buyer."""
        api.put_profile(**PROFILE)
        api.commit(order(buyer_id="jane@acme.example"))
        api.commit({**BULK_ORDER, "buyer_id": "jane@acme.example"})
        return api

    def test_erasing_removes_email_name_and_buyer_everywhere(self, erasable: Api, dynamodb: Any) -> None:
        response = erasable.erase()

        assert response.status == 200
        assert response.body == {"customer_id": "ACME", "erased": True}
        stored = everything_stored(dynamodb)
        for personal in ("purchasing@acme.example", "Acme Industrial Supply", "jane@acme.example"):
            assert personal not in stored
        item = account_item(dynamodb)
        assert item["erased"] is True
        assert item["profile"] == {"email_opt_in": False}

    def test_erasing_keeps_the_balance_the_ledger_and_the_segment(self, erasable: Api, dynamodb: Any) -> None:
        before = erasable.summary().body

        erasable.erase()

        assert erasable.summary().body == before
        assert reconcile(dynamodb) == {"ACME": 2600}

    def test_erasing_twice_answers_200_both_times(self, erasable: Api) -> None:
        first = erasable.erase()

        second = erasable.erase()

        assert first.status == second.status == 200
        assert first.body == second.body

    def test_an_erased_order_can_still_be_replayed_and_cancelled(self, erasable: Api, dynamodb: Any) -> None:
        erasable.erase()

        replay = erasable.commit(order(buyer_id="jane@acme.example"))
        cancel = erasable.cancel("SO-1")

        assert replay.status == 200
        assert cancel.status == 200
        assert reconcile(dynamodb) == {"ACME": 2200}
        assert "jane@acme.example" not in everything_stored(dynamodb)

    def test_erasing_an_unknown_account_is_a_404(self, api: Api) -> None:
        response = api.erase("NOBODY")

        assert response.status == 404
        assert response.body["error"]["code"] == "not_found"

    def test_a_profile_sent_after_erasure_is_stored_again(self, erasable: Api, dynamodb: Any) -> None:
        erasable.erase()

        erasable.put_profile(**PROFILE)

        item = account_item(dynamodb)
        assert item["profile"]["email"] == "purchasing@acme.example"
        assert "erased" not in item
