"""Get-or-create of referral codes with an in-memory store that can lose a race."""

from __future__ import annotations

from datetime import datetime

import pytest

from loyalty.codes import ReferralCode
from loyalty_service.orders import ContendedState
from loyalty_service.ports import AccountRecord, StaleState
from loyalty_service.referrals import ReferralService
from tests.fakes import InMemoryReferralStore
from tests.unit.builders import at


def referrals(store: InMemoryReferralStore, *codes: str) -> ReferralService:
    pending = list(codes)
    return ReferralService(
        store, mint=lambda: pending.pop(0), clock=lambda: at("2026-11-20T10:00:00Z"), pause=lambda _: None
    )


def test_the_first_request_creates_the_code() -> None:
    issued = referrals(InMemoryReferralStore(), "RAAAAAAAA").code_for("ACME")

    assert issued.created is True
    assert issued.code == ReferralCode(code="RAAAAAAAA", customer_id="ACME")


def test_the_second_request_answers_the_same_code_without_writing() -> None:
    store = InMemoryReferralStore()
    referrals(store, "RAAAAAAAA").code_for("ACME")

    again = referrals(store, "RBBBBBBBB").code_for("ACME")

    assert (again.code.code, again.created) == ("RAAAAAAAA", False)
    assert store.writes == 1


def test_a_lost_race_answers_the_winners_code() -> None:
    store = InMemoryReferralStore(rivals=["RWINNER22"])

    issued = referrals(store, "RLOSER333").code_for("ACME")

    assert (issued.code.code, issued.created) == ("RWINNER22", False)
    assert "RLOSER333" not in store.codes


def test_an_account_that_never_settles_is_a_conflict_to_retry() -> None:
    class Flapping(InMemoryReferralStore):
        def create_referral_code(self, account: AccountRecord, code: ReferralCode, at: datetime) -> None:
            raise StaleState("always")

    with pytest.raises(ContendedState):
        referrals(Flapping(), *[f"R{n}AAAAAAA" for n in range(10)]).code_for("ACME")
