"""The daily digest: one email per account with activity since its last digest, at most one per UTC day.

A digest is claimed for (account, day) before it is sent and marked sent after: a retried run
never sends twice, and a send that failed releases its claim so the next run sends it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from loyalty.digest import build_digest
from loyalty_digest.render import render
from loyalty_service.ports import DigestStore, Job, Mailer, UnsubscribeLinks
from loyalty_service.programs import ProgramSource


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
