"""The ``loyalty`` command: the backtest front end on JSONL files, its HTML report, and every command's help."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from loyalty.backtest import backtest
from loyalty.order import Order
from loyalty.program import Program
from loyalty_aws.settings import settings
from loyalty_cli import aws
from loyalty_cli.main import app
from tests.unit.builders import spec_document

COMMANDS = ["backtest", "import-history", "digest-preview", "create-api-key", "openapi"]


def order_body(
    number: int, customer: str, placed_at: str, quantity: int, category: str = "fasteners"
) -> dict[str, Any]:
    return {
        "order_id": f"SO-{number:04d}",
        "customer_id": customer,
        "placed_at": placed_at,
        "currency": "EUR",
        "lines": [{"sku": "BOLT-M8", "quantity": quantity, "unit_price": "0.45", "category": category}],
    }


ORDERS = [
    order_body(1, "ACME", "2026-10-02T09:00:00Z", 600),
    order_body(2, "BETA", "2026-10-20T11:30:00Z", 80, "safety"),
    order_body(3, "ACME", "2026-11-02T10:00:00Z", 700),  # lifts ACME to Silver
    order_body(4, "ACME", "2026-11-20T10:15:00Z", 1000),
    order_body(5, "GAMMA", "2026-11-21T08:00:00Z", 12000),  # a big cart: bulk and Gold
    order_body(6, "BETA", "2026-11-25T16:45:00Z", 40, "safety"),
]


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """A baseline (the SPEC program), a candidate that doubles points_per_unit, and six orders as JSONL."""
    candidate = {**spec_document(), "name": "Double points", "points_per_unit": "2"}
    return {
        "baseline": write_json(tmp_path / "baseline.json", spec_document()),
        "candidate": write_json(tmp_path / "candidate.json", candidate),
        "orders": write_lines(tmp_path / "orders.jsonl", [json.dumps(body) for body in ORDERS]),
    }


def run(*arguments: str | Path) -> Any:
    return CliRunner().invoke(app, [str(argument) for argument in arguments])


def backtest_arguments(files: dict[str, Path], *extra: str | Path) -> list[str | Path]:
    return [
        "backtest",
        "--program",
        files["candidate"],
        "--baseline",
        files["baseline"],
        "--orders",
        files["orders"],
        *extra,
    ]


class TestBacktestOfAFile:
    def test_the_command_gives_the_numbers_of_the_core_replay(self, files: dict[str, Path], tmp_path: Path) -> None:
        # GIVEN the same programs and orders handed to the core directly
        expected = backtest(
            Program.parse(spec_document()),
            Program.parse({**spec_document(), "name": "Double points", "points_per_unit": "2"}),
            [Order.parse(body) for body in ORDERS],
            start=date(2026, 10, 2),
            end=date(2026, 11, 25),
            baseline_version=None,
        )

        # WHEN the command replays the file, with the window left to default to the file's days
        result = run(*backtest_arguments(files, "--json", tmp_path / "result.json"))

        # THEN it writes the core's result, and its table shows the same totals
        assert result.exit_code == 0, result.output
        assert json.loads((tmp_path / "result.json").read_text(encoding="utf-8")) == expected.model_dump(mode="json")
        assert expected.difference.points > 0
        for figure in (expected.baseline.points, expected.candidate.points, expected.difference.points):
            assert f"{figure:,}" in result.stdout

    def test_the_window_defaults_to_the_days_of_the_first_and_last_order(
        self, files: dict[str, Path], tmp_path: Path
    ) -> None:
        # GIVEN orders placed from 2026-10-02 to 2026-11-25
        # WHEN the command runs without --from and --to
        result = run(*backtest_arguments(files, "--json", tmp_path / "result.json"))

        # THEN the result covers exactly those days
        written = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
        assert result.exit_code == 0, result.output
        assert (written["from"], written["to"]) == ("2026-10-02", "2026-11-25")
        assert written["baseline"]["orders"] == len(ORDERS)

    def test_orders_before_the_window_are_replayed_as_warm_up_but_not_counted(
        self, files: dict[str, Path], tmp_path: Path
    ) -> None:
        # GIVEN a window that starts after the first three orders
        # WHEN the command runs on it
        result = run(*backtest_arguments(files, "--from", "2026-11-10", "--json", tmp_path / "result.json"))

        # THEN only the orders of the window count
        written = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
        assert result.exit_code == 0, result.output
        assert written["baseline"]["orders"] == 3

    def test_a_bad_line_stops_the_command_and_is_named_by_its_line_number(self, files: dict[str, Path]) -> None:
        # GIVEN a file whose line 3 is not JSON and whose line 5 is an order with no lines
        lines = [json.dumps(body) for body in ORDERS]
        lines[2] = '{"order_id": "SO-0003", '
        lines[4] = json.dumps({**ORDERS[4], "lines": []})
        write_lines(files["orders"], lines)

        # WHEN the command reads it
        result = run(*backtest_arguments(files))

        # THEN it fails, naming both lines and what is wrong with them, and replays nothing
        assert result.exit_code == 1
        assert "2 lines are not a valid order; nothing was replayed" in result.stderr
        assert "line 3: not JSON" in result.stderr
        assert re.search(r"line 5: not a valid order \(lines: ", result.stderr)
        assert "Summary" not in result.stdout

    def test_an_order_in_another_currency_than_the_programs_is_a_bad_line(self, files: dict[str, Path]) -> None:
        # GIVEN a file with one order in US dollars
        lines = [json.dumps(body) for body in ORDERS]
        lines[1] = json.dumps({**ORDERS[1], "currency": "USD"})
        write_lines(files["orders"], lines)

        # WHEN the command reads it
        result = run(*backtest_arguments(files))

        # THEN line 2 is named for its currency
        assert result.exit_code == 1
        assert "line 2: not a valid order (currency: must be EUR" in result.stderr

    def test_an_order_id_twice_in_the_file_is_a_bad_line(self, files: dict[str, Path]) -> None:
        # GIVEN a file whose last line repeats the first order's id
        lines = [json.dumps(body) for body in [*ORDERS, {**ORDERS[1], "order_id": "SO-0001"}]]
        write_lines(files["orders"], lines)

        # WHEN the command reads it
        result = run(*backtest_arguments(files))

        # THEN the repetition is named with both lines
        assert result.exit_code == 1
        assert "line 7: order_id 'SO-0001' is already on line 1" in result.stderr

    def test_a_file_of_orders_needs_a_baseline_program(self, files: dict[str, Path]) -> None:
        # GIVEN orders and a candidate, but no baseline
        # WHEN the command runs
        result = run("backtest", "--program", files["candidate"], "--orders", files["orders"])

        # THEN it is a usage error that says what is missing
        assert result.exit_code == 2
        assert "--baseline" in result.stderr

    def test_an_invalid_candidate_is_refused_with_its_field_paths(self, files: dict[str, Path]) -> None:
        # GIVEN a candidate whose point value is zero
        write_json(files["candidate"], {**spec_document(), "point_value": "0"})

        # WHEN the command runs
        result = run(*backtest_arguments(files))

        # THEN it names the field, as PUT /admin/program would
        assert result.exit_code == 1
        assert "is not a valid program document" in result.stderr
        assert "point_value:" in result.stderr

    def test_a_window_that_ends_before_it_starts_is_a_usage_error(self, files: dict[str, Path]) -> None:
        # GIVEN --from after --to
        # WHEN the command runs
        result = run(*backtest_arguments(files, "--from", "2026-11-10", "--to", "2026-11-01"))

        # THEN it says so
        assert result.exit_code == 2
        assert "is after --to" in result.stderr

    def test_without_orders_a_window_is_needed(self, files: dict[str, Path]) -> None:
        # GIVEN only a candidate
        # WHEN the command runs
        result = run("backtest", "--program", files["candidate"])

        # THEN it asks for orders or a window
        assert result.exit_code == 2
        assert "--from and --to" in result.stderr


class TestBacktestOfTheStoredOrders:
    def test_without_the_table_names_the_command_says_which_are_missing(
        self, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # GIVEN real AWS (no endpoint URL) and none of the stack's table names in the environment
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        for name in [name for name in os.environ if name.endswith("_TABLE")]:
            monkeypatch.delenv(name)
        settings.cache_clear()

        # WHEN the stored orders of a window are asked for
        result = run("backtest", "--program", files["candidate"], "--from", "2026-11-01", "--to", "2026-11-30")
        settings.cache_clear()

        # THEN it fails before any AWS call, naming what to set
        assert result.exit_code == 1
        assert "no ACCOUNTS_TABLE" in result.stderr
        assert "AWS_ENDPOINT_URL for the local stack" in result.stderr


class TestHtmlReport:
    def test_the_report_is_one_file_with_plotly_inlined_and_nothing_from_the_network(
        self, files: dict[str, Path], tmp_path: Path
    ) -> None:
        # GIVEN a backtest of the file
        report = tmp_path / "report.html"

        # WHEN the command writes its HTML report
        result = run(*backtest_arguments(files, "--html", report))

        # THEN the file carries plotly.js itself and loads no script, style or font from elsewhere
        html = report.read_text(encoding="utf-8")
        assert result.exit_code == 0, result.output
        assert "plotly.js v" in html
        assert "Plotly.newPlot" in html
        assert not re.search(r"<script[^>]*\ssrc=[\"']?https?:", html, re.IGNORECASE)
        assert not re.search(r"<link[^>]*\shref=[\"']?https?:", html, re.IGNORECASE)
        assert "@import" not in html

    def test_the_report_names_the_programs_the_window_and_the_currency(
        self, files: dict[str, Path], tmp_path: Path
    ) -> None:
        # GIVEN a backtest of the file
        report = tmp_path / "report.html"

        # WHEN the command writes its HTML report
        run(*backtest_arguments(files, "--html", report))

        # THEN its title says what was compared, over which days, in which currency
        html = report.read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
        assert title is not None
        assert "Double points against Acme B2B Rewards" in title.group(1)
        assert "2026-10-02 to 2026-11-25" in title.group(1)
        assert "EUR" in html
        assert "Points by rule" in html
        assert "Tiers at the end of the window" in html


class TestHelp:
    def test_the_command_lists_every_subcommand(self) -> None:
        # GIVEN the loyalty command
        # WHEN its help is asked for
        result = run("--help")

        # THEN every subcommand is listed
        assert result.exit_code == 0
        for command in COMMANDS:
            assert command in result.stdout

    @pytest.mark.parametrize("command", COMMANDS)
    def test_every_subcommand_has_help(self, command: str) -> None:
        # GIVEN a subcommand
        # WHEN its help is asked for
        result = run(command, "--help")

        # THEN it answers with its usage and options
        assert result.exit_code == 0, result.output
        assert f"Usage: loyalty {command}" in result.stdout
        assert "--" in result.stdout


class TestDigestPreview:
    def test_the_demo_digest_is_written_as_html_and_text(self, tmp_path: Path) -> None:
        # GIVEN no AWS at all
        out = tmp_path / "digest.html"

        # WHEN the demo digest is previewed in German
        result = run("digest-preview", "--demo", "--locale", "de", "--out", out)

        # THEN both parts are written and the subject is shown
        assert result.exit_code == 0, result.output
        assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        assert out.with_suffix(".txt").read_text(encoding="utf-8").startswith("Subject: ")
        assert "(de; activity: yes)" in result.stdout

    def test_either_the_demo_or_a_customer_is_asked_for(self, tmp_path: Path) -> None:
        # GIVEN neither --demo nor --customer
        # WHEN the preview runs
        result = run("digest-preview", "--out", tmp_path / "digest.html")

        # THEN it is a usage error
        assert result.exit_code == 2
        assert "--demo or --customer" in result.stderr


class TestEndpointDefaults:
    @pytest.fixture
    def nothing_configured(self, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
        """No region, no credentials; whatever the command sets is undone after the test."""
        names = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
        for name in (*names, "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL"):
            monkeypatch.setenv(name, "")  # recorded, so that the test's own changes are undone too
            monkeypatch.delenv(name)
        monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        return monkeypatch

    def test_an_endpoint_alone_gets_the_local_stacks_region_and_dummy_credentials(
        self, nothing_configured: pytest.MonkeyPatch
    ) -> None:
        # GIVEN only AWS_ENDPOINT_URL, as against `make run`
        nothing_configured.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")

        # WHEN the commands' defaults are applied
        aws.use_endpoint_defaults()

        # THEN boto3 finds a region and credentials
        session = boto3.Session()
        assert session.region_name == aws.LOCAL_REGION
        assert session.get_credentials() is not None

    def test_configured_region_and_credentials_are_kept(self, nothing_configured: pytest.MonkeyPatch) -> None:
        # GIVEN an endpoint and a configured region and key
        nothing_configured.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
        nothing_configured.setenv("AWS_DEFAULT_REGION", "us-east-2")
        nothing_configured.setenv("AWS_ACCESS_KEY_ID", "configured")
        nothing_configured.setenv("AWS_SECRET_ACCESS_KEY", "configured-secret")

        # WHEN the commands' defaults are applied
        aws.use_endpoint_defaults()

        # THEN nothing is replaced
        session = boto3.Session()
        credentials = session.get_credentials()
        assert session.region_name == "us-east-2"
        assert credentials is not None
        assert credentials.access_key == "configured"

    def test_without_an_endpoint_nothing_is_defaulted(self, nothing_configured: pytest.MonkeyPatch) -> None:
        # GIVEN no endpoint URL: real AWS
        nothing_configured.delenv("AWS_ENDPOINT_URL", raising=False)

        # WHEN the commands' defaults are applied
        aws.use_endpoint_defaults()

        # THEN no credentials are made up
        assert boto3.Session().get_credentials() is None
