"""History import against DynamoDB (moto), through its function: exactly once, nothing earned, volume counted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from loyalty_aws.codec import from_item
from loyalty_aws.settings import settings
from loyalty_cli.main import app
from tests.integration.reconcile import reconcile
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration


def past(order_id: str, placed_at: str = "2026-03-04T09:00:00Z", quantity: int = 600, **changes: Any) -> dict[str, Any]:
    """An order from before the engine: ``quantity`` fasteners at 0.45."""
    lines = [{"sku": "BOLT-M8", "quantity": quantity, "unit_price": "0.45", "category": "fasteners"}]
    return order(order_id=order_id, placed_at=placed_at, lines=lines, **changes)


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("HistoryFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(spec_document())
    return Api()


def ledger_count(client: Any) -> int:
    return client.scan(TableName=settings().ledger_table, Select="COUNT")["Count"]


def stored(client: Any, order_id: str) -> dict[str, Any]:
    return from_item(client.get_item(TableName=settings().orders_table, Key={"order_id": {"S": order_id}})["Item"])


class TestImport:
    def test_imported_orders_earn_nothing_and_count_toward_tier_volume_and_lifetime_spend(
        self, api: Api, dynamodb: Any
    ) -> None:
        # WHEN two past orders of 600 items each are imported
        response = api.import_history(
            {"orders": [past("OLD-1"), past("OLD-2", placed_at="2026-10-01T09:00:00Z", codes=["NP-OLD"])]}
        )

        # THEN both are stored as imported, no points, no ledger entries; ACME holds Silver (1,200 items)
        assert response.status == 200
        assert response.body == {"imported": 2, "skipped": 0}
        assert ledger_count(dynamodb) == 0
        assert json.loads(stored(dynamodb, "OLD-1")["record"])["imported"] is True
        summary = api.summary().body
        assert summary["balance"] == 0
        assert summary["tier"] == "Silver"
        assert reconcile(dynamodb) == {"ACME": 0}

    def test_the_next_live_order_scores_with_the_imported_tier(self, api: Api) -> None:
        api.import_history({"orders": [past("OLD-1", placed_at="2026-10-01T09:00:00Z", quantity=1200)]})

        committed = api.commit(order(order_id="SO-NEW", placed_at="2026-11-20T10:00:00Z"))

        assert committed.status == 201
        assert committed.body["tier"]["before"] == "Silver"
        assert [line["source"] for line in committed.body["discounts"]] == ["tier"]

    def test_an_order_id_already_stored_is_skipped_exactly_once(self, api: Api, dynamodb: Any) -> None:
        # GIVEN OLD-1 imported and SO-LIVE committed
        api.import_history({"orders": [past("OLD-1")]})
        assert api.commit(order(order_id="SO-LIVE")).status == 201
        before = api.summary().body

        # WHEN both come again, with one new order (and OLD-2 twice in the call)
        response = api.import_history(
            {"orders": [past("OLD-1"), past("SO-LIVE"), past("OLD-2"), past("OLD-2", quantity=1)]}
        )

        # THEN only OLD-2 is imported, once
        assert response.body == {"imported": 1, "skipped": 3}
        assert api.summary().body["tier_progress"]["volume"] == before["tier_progress"]["volume"] + 600
        assert json.loads(stored(dynamodb, "SO-LIVE")["record"])["imported"] is False

    def test_a_full_call_for_one_new_account_is_imported_in_transactions_that_fit(self, api: Api) -> None:
        # GIVEN 100 orders of one account never seen, enough to reach Silver (its tier counters move too)
        batch = {"orders": [past(f"OLD-{index}", quantity=10) for index in range(100)]}

        response = api.import_history(batch)

        assert response.body == {"imported": 100, "skipped": 0}
        assert api.summary().body["tier"] == "Silver"

    def test_an_import_sent_again_imports_nothing(self, api: Api) -> None:
        batch = {"orders": [past("OLD-1"), past("OLD-2", customer_id="BOLTCO")]}
        assert api.import_history(batch).body == {"imported": 2, "skipped": 0}

        again = api.import_history(batch)

        assert again.status == 200
        assert again.body == {"imported": 0, "skipped": 2}

    def test_an_invalid_order_is_a_422_naming_its_index(self, api: Api, dynamodb: Any) -> None:
        bad = past("OLD-2")
        bad["lines"][0]["unit_price"] = "-1"

        response = api.import_history({"orders": [past("OLD-1"), bad]})

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["orders.1.lines.0.unit_price"]
        assert ledger_count(dynamodb) == 0
        assert "Item" not in dynamodb.get_item(TableName=settings().orders_table, Key={"order_id": {"S": "OLD-1"}})

    def test_an_order_in_another_currency_is_a_422_naming_its_index(self, api: Api) -> None:
        response = api.import_history({"orders": [past("OLD-1"), past("OLD-2", currency="USD")]})

        assert response.status == 422
        assert [detail["field"] for detail in response.body["error"]["details"]] == ["orders.1.currency"]

    @pytest.mark.parametrize("count", [0, 101])
    def test_an_empty_call_or_more_than_100_orders_is_a_422(self, api: Api, count: int) -> None:
        response = api.import_history({"orders": [past(f"OLD-{index}") for index in range(count)]})

        assert response.status == 422
        assert response.body["error"]["details"][0]["field"] == "orders"


class TestCommand:
    def test_the_command_streams_a_file_into_dynamodb_reporting_bad_lines_by_number(
        self, api: Api, dynamodb: Any, tmp_path: Path
    ) -> None:
        # GIVEN 250 past orders with a line that is not JSON, one with a bad price and one in dollars
        lines = [json.dumps(past(f"OLD-{index}", quantity=1)) for index in range(250)]
        lines[9] = "{not json"
        lines[120] = json.dumps(past("OLD-BAD", quantity=0))
        lines[200] = json.dumps(past("OLD-USD", currency="USD"))
        file = tmp_path / "history.jsonl"
        file.write_text("\n".join(lines) + "\n", encoding="utf-8")

        # WHEN it is imported, then imported again
        first = CliRunner().invoke(app, ["import-history", str(file), "--batch", "50"])
        second = CliRunner().invoke(app, ["import-history", str(file)])

        # THEN the good lines are imported once, each bad one is named by its line number, and the exit code says so
        assert first.exit_code == 1, first.output
        assert json.loads(first.stdout.strip().splitlines()[-1]) == {"imported": 247, "skipped": 0, "bad_lines": 3}
        for number in (10, 121, 201):
            assert f"line {number}:" in first.stderr
        assert "currency" in first.stderr
        assert json.loads(second.stdout.strip().splitlines()[-1]) == {"imported": 0, "skipped": 247, "bad_lines": 3}
        assert api.summary().body["tier_progress"]["volume"] == 247
