"""The account summary, the ledger's 404 rule and the erasure, with an in-memory store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from loyalty.account import Account
from loyalty.codes import Code, DiscountCode, ReferralCode
from loyalty.commit import commit_order
from loyalty.errors import NotConfigured, NotFound
from loyalty.ledger import LedgerEntry
from loyalty.profile import Profile
from loyalty.program import Program
from loyalty.tiers import TierProgress, VolumeBucket
from loyalty.wallet import Wallet
from loyalty_api.customers import AccountSummaryBody, TierProgressBody
from loyalty_service.customers import CustomerService, summarize
from loyalty_service.ports import AccountRecord
from loyalty_service.programs import ProgramSource
from tests.fakes import InMemoryCustomerStore, programs_in_force
from tests.unit.builders import at, lot, make_order, minting, spec_document

NOW = at("2027-03-01T00:00:00Z")


def discount(code: str, expires: str, status: str = "active", owner: str = "ACME") -> DiscountCode:
    return DiscountCode.model_validate(
        {
            "code": code,
            "kind": "next_purchase",
            "customer_id": owner,
            "percent": "5",
            "issued_at": "2026-11-10T10:00:00Z",
            "expires_at": expires,
            "issued_by_order": "SO-2",
            "status": status,
        }
    )


def silver_record(**changes: Any) -> AccountRecord:
    """The SPEC's example account: Silver, 1,010 items in the window, 2,125 points in two lots."""
    account = Account(
        customer_id="ACME",
        tier="Silver",
        buckets=(VolumeBucket(day=date(2026, 11, 2), items=1010, spend=Decimal("900")),),
        wallet=Wallet(
            lots=(
                lot("SO-0950", 1125, "2026-11-10T10:00:00Z", "2027-11-10T10:00:00Z"),
                lot("SO-0901", 1000, "2026-11-02T10:00:00Z", "2027-11-02T10:00:00Z"),
                lot("SO-0800", 300, "2026-10-01T10:00:00Z", "2027-10-01T10:00:00Z", remaining=0),
            )
        ),
        first_order_at=at("2026-11-02T10:00:00Z"),
    )
    return AccountRecord(
        account=account, version=3, last_event_at=at("2026-11-10T10:00:00Z"), referral_code="R9QK2M7TX", **changes
    )


class TestSummarize:
    def test_the_spec_example_account_is_summarised_as_the_spec_shows_it(self, program: Program) -> None:
        codes: list[Code] = [
            discount("NP-LATER", "2026-12-20T10:00:00Z"),
            ReferralCode(code="R9QK2M7TX", customer_id="ACME", referrals=1),
            discount("NP-7F3K2Q9X", "2026-12-10T10:00:00Z"),
        ]

        body = AccountSummaryBody.of(summarize(program, silver_record(), codes, now=NOW))

        assert body.model_dump(mode="json") == {
            "customer_id": "ACME",
            "segment": None,
            "balance": 2125,
            "points_value": "21.25",
            "tier": "Silver",
            "tier_progress": {"basis": "quantity", "volume": 1010, "next_tier": "Gold", "remaining": 3990},
            "expiring": [
                {"points": 1000, "expires_at": "2027-11-02T10:00:00Z"},
                {"points": 1125, "expires_at": "2027-11-10T10:00:00Z"},
            ],
            "discounts": [
                {"code": "NP-7F3K2Q9X", "percent": "5", "expires_at": "2026-12-10T10:00:00Z"},
                {"code": "NP-LATER", "percent": "5", "expires_at": "2026-12-20T10:00:00Z"},
            ],
            "referral": {"code": "R9QK2M7TX", "referrals": 1},
            "membership": {"member": True, "since": "2026-11-02T10:00:00Z", "until": None},
            "partner": None,
        }

    def test_progress_is_measured_at_the_last_event_not_at_now(self, program: Program) -> None:
        long_after = at("2028-01-01T00:00:00Z")  # the window would be empty by then

        summary = summarize(program, silver_record(), [], now=long_after)

        assert summary.progress is not None
        assert summary.progress.volume == 1010

    def test_codes_that_are_not_active_or_not_owned_are_left_out(self, program: Program) -> None:
        codes: list[Code] = [
            discount("NP-USED", "2026-12-10T10:00:00Z", status="used"),
            discount("NP-REVOKED", "2026-12-10T10:00:00Z", status="revoked"),
            discount("NP-OTHER", "2026-12-10T10:00:00Z", owner="OTHER"),
        ]

        summary = summarize(program, silver_record(), codes, now=NOW)

        assert summary.discounts == ()
        assert summary.referral is None

    def test_an_account_without_orders_holds_the_lowest_tier_with_no_volume(self, program: Program) -> None:
        record = AccountRecord(account=Account(customer_id="NEWCO"), version=1)

        body = AccountSummaryBody.of(summarize(program, record, [], now=NOW))

        assert body.tier == "Bronze"
        assert body.tier_progress == TierProgressBody(basis="quantity", volume=0, next_tier="Silver", remaining=1000)
        assert body.points_value == Decimal(0)

    def test_without_tiers_there_is_no_progress(self) -> None:
        program = Program.parse({**spec_document(), "tiers": None})

        summary = summarize(program, silver_record(), [], now=NOW)

        assert summary.progress is None
        assert summary.tier == "Silver"

    def test_points_value_is_rounded_half_even_to_cents(self) -> None:
        program = Program.parse({**spec_document(), "point_value": "0.0125"})
        record = AccountRecord(
            account=Account(customer_id="ACME", wallet=Wallet(lots=(lot("a", 2, "2026-11-02T10:00:00Z"),))),
            version=1,
        )

        body = AccountSummaryBody.of(summarize(program, record, [], now=NOW))

        assert body.model_dump(mode="json")["points_value"] == "0.02"  # 0.025 -> 0.02

    def test_a_negative_balance_has_a_negative_value(self, program: Program) -> None:
        record = AccountRecord(account=Account(customer_id="ACME", wallet=Wallet(deficit=150)), version=1)

        body = AccountSummaryBody.of(summarize(program, record, [], now=NOW))

        assert body.model_dump(mode="json")["points_value"] == "-1.50"
        assert body.balance == -150


class TestTierProgressBody:
    def test_spend_volumes_are_two_decimal_strings(self) -> None:
        progress = TierProgress(basis="spend", volume=Decimal("1234.5"), next_tier="Gold", remaining=Decimal("0.125"))

        assert TierProgressBody.of(progress).model_dump() == {
            "basis": "spend",
            "volume": "1234.50",
            "next_tier": "Gold",
            "remaining": "0.12",
        }

    def test_order_volumes_are_whole_numbers_of_orders(self) -> None:
        progress = TierProgress(basis="orders", volume=Decimal(7), next_tier="Gold", remaining=Decimal(3))

        assert TierProgressBody.of(progress).model_dump() == {
            "basis": "orders",
            "volume": 7,
            "next_tier": "Gold",
            "remaining": 3,
        }

    def test_at_the_highest_tier_nothing_remains(self) -> None:
        progress = TierProgress(basis="quantity", volume=Decimal(7000), next_tier=None, remaining=None)

        assert TierProgressBody.of(progress).remaining is None


# ---------------------------------------------------------------------- the use cases, with a fake store


def service(store: InMemoryCustomerStore, program: Program | None) -> CustomerService:
    programs = programs_in_force(program, since=NOW)
    store.timeline = programs.current
    return CustomerService(store, ProgramSource(programs, clock=lambda: NOW), clock=lambda: NOW)


def entry(order_id: str) -> LedgerEntry:
    return LedgerEntry(customer_id="ACME", at=NOW, kind="earn", points=10, rule="base", order_id=order_id)


class TestCustomerService:
    def test_a_summary_costs_one_batch_read_and_one_code_query(self, program: Program) -> None:
        store = InMemoryCustomerStore(silver_record())

        service(store, program).summary("ACME")

        assert store.calls == ["load_with_timeline", "owned_codes"]

    def test_an_unknown_account_has_no_summary(self, program: Program) -> None:
        with pytest.raises(NotFound):
            service(InMemoryCustomerStore(), program).summary("NOBODY")

    def test_a_ledger_page_with_entries_needs_no_second_read(self, program: Program) -> None:
        store = InMemoryCustomerStore(silver_record(), ledgers={"ACME": [entry("SO-1")]})

        page = service(store, program).ledger("ACME", limit=20, cursor=None)

        assert len(page.entries) == 1
        assert store.calls == ["ledger_page"]

    def test_an_empty_first_page_of_an_unknown_account_is_not_found(self, program: Program) -> None:
        with pytest.raises(NotFound):
            service(InMemoryCustomerStore(), program).ledger("NOBODY", limit=20, cursor=None)

    def test_an_empty_first_page_of_a_known_account_is_an_empty_ledger(self, program: Program) -> None:
        store = InMemoryCustomerStore(silver_record())

        page = service(store, program).ledger("ACME", limit=20, cursor=None)

        assert list(page.entries) == []

    def test_without_a_program_no_profile_is_written(self) -> None:
        store = InMemoryCustomerStore()

        with pytest.raises(NotConfigured):
            service(store, None).update_profile("ACME", Profile(email="a@b.example"))

        assert "save_profile" not in store.calls

    def test_an_erasure_scrubs_the_ledger_and_the_orders(self, program: Program) -> None:
        # GIVEN an account whose buyer is named on three of its ledger entries and on one order
        buyer = "jane@acme.example"
        named = [entry(order_id).model_copy(update={"buyer_id": buyer}) for order_id in ("SO-1", "SO-2", "SO-3")]
        order = commit_order(program, silver_record().account, make_order(buyer_id=buyer), {}, mint=minting()).record
        store = InMemoryCustomerStore(silver_record(), ledgers={"ACME": [*named, entry("SO-4")]}, orders=[order])

        # WHEN the account is erased
        erasure = service(store, program).erase("ACME")

        # THEN the profile goes first, then the buyer leaves those entries and that order
        assert (erasure.ledger_entries, erasure.orders) == (3, 1)
        assert store.calls == ["load_account", "erase_profile", "scrub_ledger", "scrub_orders"]

    def test_erasing_an_unknown_account_scrubs_nothing(self, program: Program) -> None:
        store = InMemoryCustomerStore()

        with pytest.raises(NotFound):
            service(store, program).erase("NOBODY")

        assert store.calls == ["load_account"]
