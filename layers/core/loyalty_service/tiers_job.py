"""The nightly tier review: each account due is re-evaluated on the window ending at T."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from loyalty import tiers as tier_rules
from loyalty.account import Account
from loyalty.tier_history import review_entry
from loyalty_service.ports import AccountChange, AccountRecord, Job, StaleState, TierReviewStore
from loyalty_service.programs import ProgramSource

MAX_ATTEMPTS = 5


class TiersJob(Job):
    name = "tiers"

    def __init__(self, store: TierReviewStore, programs: ProgramSource) -> None:
        self._store = store
        self._programs = programs

    def due(self, at: datetime) -> Iterable[str]:
        return self._store.tier_reviews_due(at)

    def process(self, unit: str, at: datetime) -> bool:
        tiers = self._programs.program().tiers
        for _ in range(MAX_ATTEMPTS):
            record = self._store.load_account(unit)
            due_on = record.tier_review_on
            if not record.exists or due_on is None or due_on > at.date():
                return False
            account = record.account
            if tiers is None:
                self._store.save_review(_change(record, account, None, None), None)
                return False
            review = tier_rules.review(tiers, account.tier, account.buckets, at)
            reviewed = account.model_copy(
                update={"tier": review.after, "buckets": tier_rules.prune(account.buckets, at, tiers.window_days)}
            )
            try:
                self._store.save_review(
                    _change(record, reviewed, review.next_review_on, at if review.changed else None),
                    review_entry(tiers, review, at) if review.changed else None,
                )
            except StaleState:
                continue
            return review.changed
        raise StaleState(f"account {unit} kept changing during its tier review")


def _change(
    record: AccountRecord, account: Account, review_on: date | None, activity: datetime | None
) -> AccountChange:
    return AccountChange(before=record, account=account, tier_review_on=review_on, activity_at=activity, event_at=None)
