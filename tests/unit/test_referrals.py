"""Get-or-create of referral codes with an in-memory store that can lose a race."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import pytest

from loyalty.account import Account
from loyalty.codes import ReferralCode
from loyalty_service.orders import ContendedState
from loyalty_service.ports import AccountRecord, StaleState
from loyalty_service.referrals import ReferralService
from tests.unit.builders import at


@dataclass
class FakeReferrals:
    accounts: dict[str, AccountRecord] = field(default_factory=dict)
    codes: dict[str, ReferralCode] = field(default_factory=dict)
    rivals: list[str] = field(default_factory=list)
    """Codes other requests create first: each makes one of our writes fail, as a lost race would."""
    writes: int = 0

    def load_account(self, customer_id: str) -> AccountRecord:
        return self.accounts.get(customer_id, AccountRecord(account=Account(customer_id=customer_id)))

    def load_referral_code(self, code: str) -> ReferralCode | None:
        return self.codes.get(code)

    def create_referral_code(self, account: AccountRecord, code: ReferralCode, at: datetime) -> None:
        self.writes += 1
        if self.rivals:
            self._store(account, ReferralCode(code=self.rivals.pop(0), customer_id=code.customer_id))
            raise StaleState("account: ConditionalCheckFailed")
        if account.referral_code is not None or code.code in self.codes:
            raise StaleState("taken")
        self._store(account, code)

    def _store(self, account: AccountRecord, code: ReferralCode) -> None:
        self.codes[code.code] = code
        self.accounts[code.customer_id] = replace(account, referral_code=code.code, version=account.version + 1)


def referrals(store: FakeReferrals, *codes: str) -> ReferralService:
    pending = list(codes)
    return ReferralService(
        store, mint=lambda: pending.pop(0), clock=lambda: at("2026-11-20T10:00:00Z"), pause=lambda _: None
    )


def test_the_first_request_creates_the_code() -> None:
    issued = referrals(FakeReferrals(), "RAAAAAAAA").code_for("ACME")

    assert issued.created is True
    assert issued.code == ReferralCode(code="RAAAAAAAA", customer_id="ACME")


def test_the_second_request_answers_the_same_code_without_writing() -> None:
    store = FakeReferrals()
    referrals(store, "RAAAAAAAA").code_for("ACME")

    again = referrals(store, "RBBBBBBBB").code_for("ACME")

    assert (again.code.code, again.created) == ("RAAAAAAAA", False)
    assert store.writes == 1


def test_a_lost_race_answers_the_winners_code() -> None:
    store = FakeReferrals(rivals=["RWINNER22"])

    issued = referrals(store, "RLOSER333").code_for("ACME")

    assert (issued.code.code, issued.created) == ("RWINNER22", False)
    assert "RLOSER333" not in store.codes


def test_an_account_that_never_settles_is_a_conflict_to_retry() -> None:
    class Flapping(FakeReferrals):
        def create_referral_code(self, account: AccountRecord, code: ReferralCode, at: datetime) -> None:
            raise StaleState("always")

    with pytest.raises(ContendedState):
        referrals(Flapping(), *[f"R{n}AAAAAAA" for n in range(10)]).code_for("ACME")
