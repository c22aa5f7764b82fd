"""An account's referral code: created once, on first request, and the same code ever after."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from loyalty.codes import ReferralCode
from loyalty_service.codes import mint_referral_code
from loyalty_service.ports import ReferralStore, StaleState
from loyalty_service.retries import ContendedState, backoff

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class IssuedReferral:
    code: ReferralCode
    created: bool
    """False when the account already had its code."""


class ReferralService:
    def __init__(
        self,
        store: ReferralStore,
        *,
        mint: Callable[[], str] = mint_referral_code,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        pause: Callable[[int], None] = backoff,
    ) -> None:
        self._store = store
        self._mint = mint
        self._clock = clock
        self._pause = pause

    def code_for(self, customer_id: str) -> IssuedReferral:
        """Get or create. Concurrent first requests race on one transaction; the losers read the winner's code.

        An account that has never ordered is created with its code (it may share it before it buys).
        """
        for attempt in range(MAX_ATTEMPTS):
            account = self._store.load_account(customer_id)
            if account.referral_code is not None:
                existing = self._store.load_referral_code(account.referral_code)
                if existing is None:
                    raise RuntimeError(f"account {customer_id!r} names a referral code that is not stored")
                return IssuedReferral(code=existing, created=False)
            code = ReferralCode(code=self._mint(), customer_id=customer_id)
            try:
                self._store.create_referral_code(account, code, self._clock())
            except StaleState:
                self._pause(attempt)
                continue
            return IssuedReferral(code=code, created=True)
        raise ContendedState
