"""Adjustments, the rewards catalog and claims against DynamoDB (moto), through their functions."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from loyalty_aws import stats
from loyalty_aws.clients import dynamodb as shared_client
from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from tests.integration.reconcile import reconcile
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration

REWARDS: list[dict[str, Any]] = [
    {"id": "training-day", "name": "A training day for your team", "points": 300, "stock": 2},
    {"id": "warranty", "name": "Extended warranty, one year", "points": 100, "stock": None},
    {"id": "service-credit", "name": "Service credit", "points": 50, "stock": 0},
]


def with_rewards(rewards: list[dict[str, Any]] = REWARDS) -> dict[str, Any]:
    return {**spec_document(), "rewards": rewards}


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("RewardsFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(with_rewards())
    return Api()


@pytest.fixture
def acme(api: Api) -> Api:
    """ACME with two lots: 400 points (SO-1, 2 November) and 400 points (SO-2, 5 November)."""
    assert api.commit(order()).status == 201
    assert api.commit(order(order_id="SO-2", placed_at="2026-11-05T10:00:00Z")).status == 201
    return api


def ledger_items(client: Any, customer_id: str = "ACME") -> list[dict[str, Any]]:
    response = client.query(
        TableName=settings().ledger_table,
        KeyConditionExpression="customer_id = :c",
        ExpressionAttributeValues={":c": {"S": customer_id}},
    )
    return [from_item(item) for item in response["Items"]]


def lots(api: Api, customer_id: str = "ACME") -> list[int]:
    return [lot["points"] for lot in api.summary(customer_id).body["expiring"]]


def liability(client: Any) -> int:
    return stats.points_liability(client, settings())


# ---------------------------------------------------------------------------------------------- adjustments


class TestAdjustments:
    def test_added_points_are_a_new_lot_with_the_reason_and_the_key_label_on_the_entry(
        self, acme: Api, dynamodb: Any
    ) -> None:
        # GIVEN ACME with 800 points
        # WHEN an admin adds 250 points
        response = acme.adjust(adjustment_id="ADJ-1", points=250, reason="goodwill after a late delivery")

        # THEN 201 with the new balance; the ledger shows it with its ref, and keeps the reason and the label
        assert response.status == 201
        assert response.body == {"adjustment_id": "ADJ-1", "customer_id": "ACME", "points": 250, "balance": 1050}
        newest = acme.ledger().body["entries"][0]
        assert newest["kind"] == "adjust"
        assert newest["rule"] == "adjustment"
        assert newest["ref"] == "ADJ-1"
        assert newest["points"] == 250
        assert newest["order_id"] is None
        stored = next(item for item in ledger_items(dynamodb) if item["kind"] == "adjust")
        assert stored["reason"] == "goodwill after a late delivery"
        assert stored["by"] == "local admin"
        assert sorted(lots(acme)) == [250, 400, 400]
        assert reconcile(dynamodb) == {"ACME": 1050}
        assert liability(dynamodb) == 1050

    def test_a_new_lot_expires_as_earned_points_do_from_the_request_time(self, acme: Api) -> None:
        before = datetime.now(UTC)

        acme.adjust(adjustment_id="ADJ-1", points=250, reason="goodwill")

        expiring = acme.summary().body["expiring"]
        added = next(lot for lot in expiring if lot["points"] == 250)
        expires_at = datetime.fromisoformat(added["expires_at"].replace("Z", "+00:00"))
        assert 364 <= (expires_at - before).days <= 365

    def test_removed_points_are_taken_from_the_oldest_lots_first(self, acme: Api, dynamodb: Any) -> None:
        # WHEN an admin removes 500 of 800 points
        response = acme.adjust(adjustment_id="ADJ-2", points=-500, reason="duplicate credit")

        # THEN the first lot (400) is emptied and 100 come from the second
        assert response.status == 201
        assert response.body["balance"] == 300
        assert lots(acme) == [300]
        assert acme.ledger().body["entries"][0]["points"] == -500
        assert reconcile(dynamodb) == {"ACME": 300}
        assert liability(dynamodb) == 300

    def test_removing_more_than_the_balance_is_a_409_and_changes_nothing(self, acme: Api, dynamodb: Any) -> None:
        response = acme.adjust(adjustment_id="ADJ-3", points=-801, reason="too much")

        assert response.status == 409
        assert response.body["error"]["code"] == "insufficient_points"
        assert reconcile(dynamodb) == {"ACME": 800}

    def test_the_same_adjustment_again_answers_200_with_the_same_body_and_counts_once(
        self, acme: Api, dynamodb: Any
    ) -> None:
        first = acme.adjust(adjustment_id="ADJ-1", points=250, reason="goodwill")

        again = acme.adjust(adjustment_id="ADJ-1", points=250, reason="goodwill")

        assert again.status == 200
        assert again.body == first.body
        assert reconcile(dynamodb) == {"ACME": 1050}
        assert liability(dynamodb) == 1050

    def test_the_same_adjustment_id_with_other_points_is_a_409(self, acme: Api) -> None:
        acme.adjust(adjustment_id="ADJ-1", points=250, reason="goodwill")

        response = acme.adjust(adjustment_id="ADJ-1", points=300, reason="goodwill")

        assert response.status == 409
        assert response.body["error"]["code"] == "adjustment_conflict"

    def test_an_unknown_account_is_a_404(self, api: Api) -> None:
        response = api.adjust("NOBODY", adjustment_id="ADJ-1", points=100, reason="goodwill")

        assert response.status == 404

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"adjustment_id": "A", "points": 0, "reason": "nothing"}, "points"),
            ({"adjustment_id": "A", "points": 1.5, "reason": "half"}, "points"),
            ({"adjustment_id": "A", "points": 10, "reason": ""}, "reason"),
            ({"adjustment_id": "A", "points": 10}, "reason"),
        ],
    )
    def test_a_body_that_does_not_fit_is_a_422_on_its_field(self, acme: Api, body: dict[str, Any], field: str) -> None:
        response = acme.adjust(**body)

        assert response.status == 422
        assert field in [detail["field"] for detail in response.body["error"]["details"]]


# ---------------------------------------------------------------------------------------------- the catalog


class TestCatalog:
    def test_rewards_are_listed_with_the_units_left(self, acme: Api) -> None:
        acme.claim(claim_id="CL-1", reward_id="training-day")

        response = acme.rewards()

        assert response.status == 200
        assert response.body == {
            "rewards": [
                {**REWARDS[0], "remaining": 1},
                {**REWARDS[1], "remaining": None},
                {**REWARDS[2], "remaining": 0},
            ]
        }

    def test_a_catalog_with_a_duplicate_reward_id_is_refused_with_its_field(self, api: Api) -> None:
        document = with_rewards([REWARDS[0], {**REWARDS[1], "id": "training-day"}])

        response = api.put_program(document)

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["rewards.1.id"]


# ---------------------------------------------------------------------------------------------- claims


class TestClaims:
    def test_a_claim_takes_the_points_oldest_lot_first_and_is_in_the_ledger_with_its_ref(
        self, acme: Api, dynamodb: Any
    ) -> None:
        response = acme.claim(claim_id="CL-1", reward_id="training-day", buyer_id="jane@acme.example")

        assert response.status == 201
        assert response.body == {
            "claim_id": "CL-1",
            "reward_id": "training-day",
            "points": 300,
            "status": "requested",
            "balance": 500,
        }
        assert lots(acme) == [100, 400]
        newest = acme.ledger().body["entries"][0]
        assert (newest["kind"], newest["rule"], newest["ref"], newest["points"]) == (
            "redeem",
            "training-day",
            "CL-1",
            -300,
        )
        assert reconcile(dynamodb) == {"ACME": 500}
        assert liability(dynamodb) == 500

    def test_the_same_claim_again_answers_200_with_the_same_body_and_takes_nothing_more(
        self, acme: Api, dynamodb: Any
    ) -> None:
        first = acme.claim(claim_id="CL-1", reward_id="training-day")

        again = acme.claim(claim_id="CL-1", reward_id="training-day")

        assert again.status == 200
        assert again.body == first.body
        assert acme.rewards().body["rewards"][0]["remaining"] == 1
        assert reconcile(dynamodb) == {"ACME": 500}

    def test_the_same_claim_id_for_another_reward_is_a_409(self, acme: Api) -> None:
        acme.claim(claim_id="CL-1", reward_id="training-day")

        response = acme.claim(claim_id="CL-1", reward_id="warranty")

        assert response.status == 409
        assert response.body["error"]["code"] == "claim_conflict"

    def test_a_reward_worth_more_than_the_balance_is_a_409(self, api: Api) -> None:
        api.commit(order(lines=[{"sku": "VALVE-20", "quantity": 1, "unit_price": "40.00"}]))  # 40 points

        response = api.claim(claim_id="CL-1", reward_id="warranty")

        assert response.status == 409
        assert response.body["error"]["code"] == "insufficient_points"

    def test_a_reward_without_stock_left_is_a_409(self, acme: Api, dynamodb: Any) -> None:
        response = acme.claim(claim_id="CL-1", reward_id="service-credit")

        assert response.status == 409
        assert response.body["error"]["code"] == "out_of_stock"
        assert reconcile(dynamodb) == {"ACME": 800}

    def test_an_unknown_reward_or_account_is_a_404(self, acme: Api) -> None:
        assert acme.claim(claim_id="CL-1", reward_id="yacht").status == 404
        assert acme.claim("NOBODY", claim_id="CL-2", reward_id="warranty").status == 404

    def test_fulfilment_is_idempotent_and_a_fulfilled_claim_cannot_be_cancelled(self, acme: Api) -> None:
        acme.claim(claim_id="CL-1", reward_id="warranty")

        first = acme.fulfil_claim("CL-1")
        again = acme.fulfil_claim("CL-1")
        cancel = acme.cancel_claim("CL-1")

        assert first.status == again.status == 200
        assert first.body == again.body
        assert first.body["status"] == "fulfilled"
        assert cancel.status == 409
        assert cancel.body["error"]["code"] == "claim_fulfilled"

    def test_a_cancel_gives_the_points_back_to_their_lots_and_the_unit_back_to_the_stock(
        self, acme: Api, dynamodb: Any
    ) -> None:
        # GIVEN a claim that emptied the first lot and took 100 points from the second... and a later order
        acme.claim(claim_id="CL-1", reward_id="training-day")
        acme.claim(claim_id="CL-2", reward_id="warranty")
        assert lots(acme) == [400]

        # WHEN an admin cancels the first claim, twice
        first = acme.cancel_claim("CL-1")
        again = acme.cancel_claim("CL-1")

        # THEN the 300 points are back where they came from, the stock is whole, the cancel is idempotent
        assert first.status == again.status == 200
        assert first.body == again.body
        assert first.body == {
            "claim_id": "CL-1",
            "reward_id": "training-day",
            "points": 300,
            "status": "cancelled",
            "balance": 700,
        }
        assert lots(acme) == [300, 400]
        assert acme.rewards().body["rewards"][0]["remaining"] == 2
        newest = acme.ledger().body["entries"][0]
        assert (newest["kind"], newest["rule"], newest["ref"], newest["points"]) == (
            "reverse",
            "training-day",
            "CL-1",
            300,
        )
        assert acme.fulfil_claim("CL-1").body["error"]["code"] == "claim_cancelled"
        assert reconcile(dynamodb) == {"ACME": 700}
        assert liability(dynamodb) == 700

    def test_an_unknown_claim_is_a_404(self, api: Api) -> None:
        assert api.fulfil_claim("NOPE").status == 404
        assert api.cancel_claim("NOPE").status == 404

    def test_claims_are_listed_newest_first_and_paged(self, acme: Api) -> None:
        for claim_id in ("CL-1", "CL-2", "CL-3"):
            assert acme.claim(claim_id=claim_id, reward_id="warranty").status == 201
        acme.fulfil_claim("CL-1")

        first = acme.claims(limit="2")
        rest = acme.claims(limit="2", cursor=first.body["next_cursor"])

        assert [claim["claim_id"] for claim in first.body["claims"]] == ["CL-3", "CL-2"]
        assert [claim["claim_id"] for claim in rest.body["claims"]] == ["CL-1"]
        assert rest.body["claims"][0]["status"] == "fulfilled"
        assert rest.body["claims"][0]["name"] == "Extended warranty, one year"
        assert rest.body["next_cursor"] is None

    def test_claims_of_an_unknown_account_are_a_404(self, api: Api) -> None:
        assert api.claims("NOBODY").status == 404


# ---------------------------------------------------------------------------------------------- the last unit


def test_eight_accounts_claiming_the_last_unit_at_once_get_exactly_one_201(api: Api, dynamodb: Any) -> None:
    # GIVEN a reward with one unit left and eight accounts that can each afford it
    activate(with_rewards([{"id": "training-day", "name": "Training day", "points": 300, "stock": 1}]))
    customers = [f"C{number}" for number in range(8)]
    for customer_id in customers:
        assert api.commit(order(order_id=f"SO-{customer_id}", customer_id=customer_id)).status == 201
    shared_client()  # the client every thread shares, made before they start
    statuses: dict[str, Any] = {}
    start = threading.Barrier(len(customers))

    def claim(customer_id: str) -> None:
        own = Api()  # a function instance per thread, as Lambda runs one request per instance
        own.rewards_function  # noqa: B018 (loaded before the race)
        start.wait()
        response = own.claim(customer_id, claim_id=f"CL-{customer_id}", reward_id="training-day")
        statuses[customer_id] = (response.status, (response.body.get("error") or {}).get("code"))

    # WHEN they all claim it at the same moment
    threads = [threading.Thread(target=claim, args=(customer_id,)) for customer_id in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN exactly one claim succeeds and the others are out of stock; no unit was oversold
    assert sorted(status for status, _ in statuses.values()) == [201] + [409] * 7
    assert {code for status, code in statuses.values() if status == 409} == {"out_of_stock"}
    assert api.rewards().body["rewards"][0]["remaining"] == 0
    balances = reconcile(dynamodb)
    assert sorted(balances.values()) == [100] + [400] * 7


# ---------------------------------------------------------------------------------------------- KPIs


def test_a_claim_and_an_adjustment_are_in_the_kpis_of_their_day(acme: Api) -> None:
    # GIVEN an adjustment of +250, another of -50 and a claim of 300 points, today
    acme.adjust(adjustment_id="ADJ-1", points=250, reason="goodwill")
    acme.adjust(adjustment_id="ADJ-2", points=-50, reason="correction")
    acme.claim(claim_id="CL-1", reward_id="training-day")
    today = datetime.now(UTC).date().isoformat()

    # WHEN an admin reads today's KPIs
    response = acme.kpis(**{"from": today, "to": today})

    # THEN adjusted is signed, the claim is redeemed, and the liability is the balance now
    assert response.status == 200
    points = response.body["points"]
    assert points["adjusted"] == 200
    assert points["redeemed"] == 300
    assert points["liability"] == 800 + 200 - 300
