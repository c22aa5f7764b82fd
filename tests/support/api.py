"""The API's functions side by side in one embedded AWS, as the routes of template.yaml would reach them."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from functools import cached_property
from types import ModuleType
from typing import Any

from loyalty_aws.programs import DynamoProgramStore
from loyalty_service.admin import ProgramAdmin
from loyalty_service.programs import ProgramSource
from tests.support.events import api_event
from tests.support.lambdas import ApiResponse, call, load_function

SMALL_ORDER: dict[str, Any] = {
    "order_id": "SO-1",
    "customer_id": "ACME",
    "placed_at": "2026-11-02T10:00:00Z",
    "currency": "EUR",
    "lines": [{"sku": "VALVE-20", "quantity": 10, "unit_price": "40.00", "category": "valves"}],
}
"""10 items for 400.00: 400 base points under the SPEC program, no code issued (minimum 500)."""


def activate(document: dict[str, Any], at: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
    """Store ``document`` as the next version, in force from ``at`` (a moment before the tests' orders)."""
    programs = ProgramSource(DynamoProgramStore(), clock=lambda: at)
    ProgramAdmin(programs, clock=lambda: at).activate(document, by="tests")


def order(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(SMALL_ORDER), **changes}


class Api:
    """Each function loaded once, cold, on first use; one method per route a test calls."""

    @cached_property
    def orders(self) -> ModuleType:
        return load_function("functions/orders")

    @cached_property
    def customers(self) -> ModuleType:
        return load_function("functions/customers")

    @cached_property
    def referrals(self) -> ModuleType:
        return load_function("functions/referrals")

    @cached_property
    def admin(self) -> ModuleType:
        return load_function("functions/admin")

    @cached_property
    def reports(self) -> ModuleType:
        return load_function("functions/reports")

    @cached_property
    def adjustments(self) -> ModuleType:
        return load_function("functions/adjustments")

    @cached_property
    def rewards_function(self) -> ModuleType:
        return load_function("functions/rewards")

    def commit(self, body: dict[str, Any]) -> ApiResponse:
        return call(self.orders, api_event("orders-commit", body=body))

    def cancel(self, order_id: str) -> ApiResponse:
        return call(self.orders, api_event("orders-cancel", path_parameters={"order_id": order_id}))

    def cancel_with_body(self, order_id: str, body: Any) -> ApiResponse:
        return call(self.orders, api_event("orders-cancel", body=body, path_parameters={"order_id": order_id}))

    def return_lines(self, order_id: str, **body: Any) -> ApiResponse:
        return call(self.orders, api_event("orders-returns", body=body, path_parameters={"order_id": order_id}))

    def import_history(self, body: Any, *, role_of: str = "admin-history") -> ApiResponse:
        return call(self.history, api_event(role_of, body=body))

    @cached_property
    def history(self) -> ModuleType:
        return load_function("functions/history")

    def summary(self, customer_id: str = "ACME") -> ApiResponse:
        return call(self.customers, api_event("customers-get", path_parameters={"customer_id": customer_id}))

    def put_profile(self, customer_id: str = "ACME", **profile: Any) -> ApiResponse:
        return call(
            self.customers, api_event("customers-put", body=profile, path_parameters={"customer_id": customer_id})
        )

    def ledger(self, customer_id: str = "ACME", **query: str) -> ApiResponse:
        return call(
            self.customers,
            api_event("customers-ledger", query=query, path_parameters={"customer_id": customer_id}),
        )

    def tier_history(self, customer_id: str = "ACME", **query: str) -> ApiResponse:
        return call(
            self.customers,
            api_event("customers-tier-history", query=query, path_parameters={"customer_id": customer_id}),
        )

    def buyers(self, customer_id: str = "ACME") -> ApiResponse:
        return call(self.customers, api_event("customers-buyers", path_parameters={"customer_id": customer_id}))

    def nps(self, customer_id: str = "ACME", **body: Any) -> ApiResponse:
        return call(self.customers, api_event("customers-nps", body=body, path_parameters={"customer_id": customer_id}))

    def membership(self, customer_id: str = "ACME", **body: Any) -> ApiResponse:
        return call(
            self.customers,
            api_event("customers-membership", body=body, path_parameters={"customer_id": customer_id}),
        )

    def erase(self, customer_id: str = "ACME") -> ApiResponse:
        return call(self.customers, api_event("customers-erase", path_parameters={"customer_id": customer_id}))

    def referral_code(self, customer_id: str = "ACME") -> ApiResponse:
        return call(self.referrals, api_event("referrals-code", path_parameters={"customer_id": customer_id}))

    def put_program(self, document: Any) -> ApiResponse:
        return call(self.admin, api_event("admin-program-put", body=document))

    def get_program(self) -> ApiResponse:
        return call(self.admin, api_event("admin-program-get"))

    def program_versions(self) -> ApiResponse:
        return call(self.admin, api_event("admin-program-versions"))

    def program_version(self, version: int | str) -> ApiResponse:
        return call(self.admin, api_event("admin-program-version-get", path_parameters={"version": str(version)}))

    def rollback(self, version: int | str) -> ApiResponse:
        return call(self.admin, api_event("admin-program-version-activate", path_parameters={"version": str(version)}))

    def preview(self, body: dict[str, Any]) -> ApiResponse:
        return call(self.orders, api_event("orders-preview", body=body))

    def kpis(self, **query: str) -> ApiResponse:
        return call(self.reports, api_event("admin-kpis", query=query))

    def backtest(self, body: Any) -> ApiResponse:
        return call(self.reports, api_event("admin-backtest", body=body))

    def adjust(self, customer_id: str = "ACME", **body: Any) -> ApiResponse:
        return call(
            self.adjustments,
            api_event("admin-adjustments", body=body, path_parameters={"customer_id": customer_id}),
        )

    def rewards(self) -> ApiResponse:
        return call(self.rewards_function, api_event("rewards-get"))

    def claim(self, customer_id: str = "ACME", **body: Any) -> ApiResponse:
        return call(
            self.rewards_function, api_event("claims-post", body=body, path_parameters={"customer_id": customer_id})
        )

    def claims(self, customer_id: str = "ACME", **query: str) -> ApiResponse:
        return call(
            self.rewards_function,
            api_event("claims-get", query=query, path_parameters={"customer_id": customer_id}),
        )

    def fulfil_claim(self, claim_id: str) -> ApiResponse:
        return call(self.rewards_function, api_event("admin-claims-fulfil", path_parameters={"claim_id": claim_id}))

    def cancel_claim(self, claim_id: str) -> ApiResponse:
        return call(self.rewards_function, api_event("admin-claims-cancel", path_parameters={"claim_id": claim_id}))
