"""The daily digest: one email per account with activity since its last digest, at most one per UTC day.

A digest is claimed for (account, day) before it is sent and marked sent after: a retried run
never sends twice, and a send that failed releases its claim so the next run sends it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from loyalty.codes import DiscountCode
from loyalty.digest import TierChangeRecord, build_digest
from loyalty.ledger import LedgerEntry
from loyalty_digest.render import RenderedEmail, render
from loyalty_service.jobs import Job
from loyalty_service.ports import AccountRecord
from loyalty_service.programs import ProgramSource


@dataclass(frozen=True)
class DigestMaterial:
    """What happened to an account between two digests, as stored."""

    entries: Sequence[LedgerEntry]
    codes: Sequence[DiscountCode]
    referral: tuple[str, int] | None
    tier_changes: Sequence[TierChangeRecord]


class DigestStore(Protocol):
    def digests_due(self, at: datetime) -> Iterable[str]: ...

    def load_account(self, customer_id: str) -> AccountRecord: ...

    def digest_material(self, record: AccountRecord, since: datetime | None, at: datetime) -> DigestMaterial: ...

    def claim_digest(self, customer_id: str, day: date, at: datetime) -> bool:
        """Reserve the account's digest of ``day``; False when it was reserved before."""
        ...

    def release_digest(self, customer_id: str, day: date) -> None: ...

    def mark_digested(self, record: AccountRecord, at: datetime) -> None:
        """Everything up to ``at`` has been told (or had nobody to tell): leave the digest index."""
        ...


class Mailer(Protocol):
    def send(self, to: str, email: RenderedEmail, *, sender: str | None, unsubscribe_url: str) -> None:
        """Send one digest; ``sender`` None means the configured default identity."""
        ...


class UnsubscribeLinks(Protocol):
    def url(self, customer_id: str, at: datetime) -> str: ...


class DigestJob(Job):
    name = "digest"

    def __init__(self, store: DigestStore, programs: ProgramSource, mailer: Mailer, links: UnsubscribeLinks) -> None:
        self._store = store
        self._programs = programs
        self._mailer = mailer
        self._links = links

    def due(self, at: datetime) -> Iterable[str]:
        return self._store.digests_due(at)

    def process(self, unit: str, at: datetime) -> bool:
        record = self._store.load_account(unit)
        if record.activity_since is None or record.activity_since > at:
            return False
        profile = record.profile
        program = self._programs.program()
        wanted = program.emails is None or program.emails.digest
        if not wanted or record.erased or profile is None or profile.email is None or not profile.email_opt_in:
            self._store.mark_digested(record, at)
            return False
        day = at.date()
        if not self._store.claim_digest(unit, day, at):
            # Sent by an earlier run today (or it died after sending): never send again, just settle.
            self._store.mark_digested(record, at)
            return False
        material = self._store.digest_material(record, record.last_digest_at, at)
        digest = build_digest(
            program=program,
            account=record.account,
            profile=profile,
            entries=material.entries,
            codes=material.codes,
            referral=material.referral,
            tier_changes=material.tier_changes,
            since=record.last_digest_at,
            at=at,
        )
        if not digest.has_activity:
            self._store.mark_digested(record, at)
            return False
        url = self._links.url(unit, at)
        email = render(digest, locale=profile.locale, unsubscribe_url=url, sender_name=program.name)
        try:
            self._mailer.send(
                profile.email, email, sender=program.emails.sender if program.emails else None, unsubscribe_url=url
            )
        except Exception:
            self._store.release_digest(unit, day)
            raise
        self._store.mark_digested(record, at)
        return True
