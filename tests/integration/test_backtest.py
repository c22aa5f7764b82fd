"""POST /admin/backtest against DynamoDB (moto): stored orders replayed, and the command agrees with the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from loyalty_aws.programs import DynamoProgramStore
from loyalty_aws.reports import DynamoOrderArchive
from loyalty_cli.main import app as command
from loyalty_service.backtest import BacktestService
from loyalty_service.programs import ProgramSource
from tests.support.api import Api, activate, order
from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document

pytestmark = pytest.mark.integration

NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with embedded_aws("ReportsFunction") as client:
        yield client


@pytest.fixture
def api(dynamodb: Any) -> Api:
    activate(spec_document())
    instance = Api()
    for number, (customer_id, day, quantity) in enumerate(
        [
            ("ACME", "2026-10-20", 600),
            ("ACME", "2026-11-05", 500),
            ("GLOBEX", "2026-11-10", 10),
            ("ACME", "2026-11-25", 40),
        ]
    ):
        body = order(
            order_id=f"B{number}",
            customer_id=customer_id,
            placed_at=f"{day}T10:00:00Z",
            lines=[{"sku": "BOLT-M8", "quantity": quantity, "unit_price": "2.00", "category": "fasteners"}],
            codes=[],
        )
        assert instance.commit(body).status == 201
    assert instance.cancel("B2").status == 200  # GLOBEX's order does not stand
    return instance


def test_a_candidate_identical_to_the_version_in_force_makes_no_difference(api: Api) -> None:
    response = api.backtest({"program": spec_document(), **NOVEMBER})

    assert response.status == 200
    assert response.body["baseline"]["program_version"] == 1
    assert response.body["candidate"]["program_version"] is None
    assert response.body["baseline"]["orders"] == 2  # B1 and B3; B0 is warm-up, B2 was cancelled
    assert {key: response.body["difference"][key] for key in ("points", "cost", "discount_total")} == {
        "points": 0,
        "cost": "0.00",
        "discount_total": "0.00",
    }


def test_doubling_points_per_unit_doubles_the_base_points(api: Api) -> None:
    response = api.backtest({"program": {**spec_document(), "points_per_unit": "2"}, **NOVEMBER})

    base = {side: _rule(response.body[side], "base") for side in ("baseline", "candidate")}
    assert base["candidate"] == 2 * base["baseline"] > 0


def test_an_invalid_candidate_is_a_422_naming_its_field_under_program(api: Api) -> None:
    response = api.backtest({"program": {**spec_document(), "point_value": "0"}, **NOVEMBER})

    assert response.status == 422
    assert [detail["field"] for detail in response.body["error"]["details"]] == ["program.point_value"]


def test_a_window_that_ends_before_it_starts_is_a_422(api: Api) -> None:
    response = api.backtest({"program": spec_document(), "from": "2026-11-30", "to": "2026-11-01"})

    assert response.status == 422
    assert [detail["field"] for detail in response.body["error"]["details"]] == ["from"]


def test_a_window_with_more_orders_than_a_call_replays_is_a_422_window_too_large(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = api.reports
    small = BacktestService(DynamoOrderArchive(), ProgramSource(DynamoProgramStore()), max_orders=2)
    monkeypatch.setattr(reports, "backtests", lambda: small)

    response = api.backtest({"program": spec_document(), **NOVEMBER})

    assert response.status == 422
    assert response.body["error"]["code"] == "window_too_large"
    assert "loyalty backtest" in response.body["error"]["message"]


def test_the_command_prints_the_same_numbers_the_api_answers(api: Api, tmp_path: Path) -> None:
    candidate = tmp_path / "candidate.json"
    candidate.write_text(json.dumps({**spec_document(), "points_per_unit": "2"}))
    answer = tmp_path / "result.json"

    run = CliRunner().invoke(
        command,
        [
            "backtest",
            "--program",
            str(candidate),
            "--from",
            NOVEMBER["from"],
            "--to",
            NOVEMBER["to"],
            "--json",
            str(answer),
        ],
    )
    response = api.backtest({"program": json.loads(candidate.read_text()), **NOVEMBER})

    assert run.exit_code == 0, run.output
    assert json.loads(answer.read_text()) == response.body


def _rule(side: dict[str, Any], rule: str) -> int:
    return next(line["points"] for line in side["rules"] if line["rule"] == rule)
