"""A program manager's day over real HTTP on loopback: versions that apply at once, staging, rollback, KPIs, backtest.

One ``make run`` stack (demo data loaded) for the module. Each step talks to a different function
(orders, customers, admin, reports), so a 201 from ``PUT /admin/program`` is seen to hold for the
very next request of every warm function, whatever each had cached.
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from local.stack import DEMO, LocalKeys, launch
from sam_emulator.server import Launched

pytestmark = pytest.mark.e2e

KEYS = LocalKeys()
DEMO_PROGRAM: dict[str, Any] = json.loads((DEMO / "program.json").read_text(encoding="utf-8"))


class Client:
    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, method: str, path: str, body: Any = None, *, key: str = KEYS.storefront) -> tuple[int, Any]:
        headers = {"x-api-key": key}
        data = None
        if body is not None:
            headers["content-type"] = "application/json"
            data = json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return self.call(method, path, body, key=KEYS.admin)


@pytest.fixture(scope="module")
def stack() -> Iterator[Launched]:
    launched = launch(port=0, keys=KEYS)
    try:
        yield launched
    finally:
        launched.stop()


@pytest.fixture(scope="module")
def client(stack: Launched) -> Client:
    return Client(stack.url)


def cart(order_id: str, customer_id: str = "LIFECYCLE") -> dict[str, Any]:
    return {
        "order_id": order_id,
        "customer_id": customer_id,
        "placed_at": "2026-11-20T10:15:00Z",
        "currency": "EUR",
        "lines": [{"sku": "BOLT-M8", "quantity": 600, "unit_price": "1.00", "category": "fasteners"}],
    }


def variant(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(DEMO_PROGRAM)
    document.update(changes)
    return document


def test_a_program_managers_day(client: Client) -> None:
    # GIVEN the demo version in force, and the orders and customers functions warm
    status, active = client.admin("GET", "/admin/program")
    assert status == 200
    first = active["version"]
    assert client.call("POST", "/orders/preview", cart("LC-0"))[1]["program_version"] == first
    assert client.call("GET", "/customers/ACME")[1]["tier_progress"]["remaining"] == 3990

    # WHEN a version without rules and with Gold at 6,000 items is stored
    tiers = copy.deepcopy(DEMO_PROGRAM["tiers"])
    tiers["levels"][2]["threshold"] = 6000
    status, stored = client.admin("PUT", "/admin/program", variant(rules=[], tiers=tiers))
    assert (status, stored["status"], stored["activated_by"]) == (201, "active", "local admin")
    second = stored["version"]

    # THEN the very next preview, commit and account summary use it, in three warm functions
    status, preview = client.call("POST", "/orders/preview", cart("LC-1"))
    assert (status, preview["program_version"]) == (200, second)
    assert [line["rule"] for line in preview["breakdown"]] == ["base"]
    status, committed = client.call("POST", "/orders", cart("LC-1"))
    assert (status, committed["program_version"]) == (201, second)
    assert client.call("GET", "/customers/ACME")[1]["tier_progress"]["remaining"] == 4990

    # WHEN a third version is staged for a later date THEN it is listed as scheduled and scores nothing yet
    status, staged = client.admin("PUT", "/admin/program", {**variant(), "activates_at": "2100-01-01T00:00:00Z"})
    assert (status, staged["status"], staged["activated_at"]) == (201, "scheduled", None)
    assert client.call("POST", "/orders/preview", cart("LC-2"))[1]["program_version"] == second
    status, listed = client.admin("GET", "/admin/program/versions")
    assert [(entry["version"], entry["status"]) for entry in listed["versions"][:3]] == [
        (staged["version"], "scheduled"),
        (second, "active"),
        (first, "retired"),
    ]

    # WHEN the first version is rolled back to THEN it scores again, and a replay keeps its stored version
    status, restored = client.admin("POST", f"/admin/program/versions/{first}/activate")
    assert (status, restored["status"]) == (200, "active")
    assert client.call("POST", "/orders/preview", cart("LC-3"))[1]["program_version"] == first
    status, replay = client.call("POST", "/orders", cart("LC-1"))
    assert (status, replay) == (200, committed)


def test_kpis_and_a_backtest_are_read_by_an_admin_over_http(client: Client) -> None:
    assert client.call("POST", "/orders", cart("LC-K1", "KPI-CO"))[0] == 201

    status, kpis = client.admin("GET", "/admin/kpis?from=2026-11-01&to=2026-11-30")
    assert status == 200
    assert kpis["orders"]["count"] >= 1
    assert [tier["tier"] for tier in kpis["tiers"]] == [level["name"] for level in DEMO_PROGRAM["tiers"]["levels"]]

    status, active = client.admin("GET", "/admin/program")
    status, result = client.admin(
        "POST", "/admin/backtest", {"program": active["program"], "from": "2026-11-01", "to": "2026-11-30"}
    )
    assert status == 200
    assert result["baseline"]["orders"] == result["candidate"]["orders"] >= 1
    assert result["difference"]["points"] == 0


def test_reports_are_for_admins_only(client: Client) -> None:
    assert client.call("GET", "/admin/kpis")[0] == 403
    assert client.call("POST", "/admin/backtest", {"program": {}, "from": "2026-11-01", "to": "2026-11-02"})[0] == 403
