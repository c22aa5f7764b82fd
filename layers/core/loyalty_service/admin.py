"""Program administration: store versions (at once or staged), read them, roll back to an earlier one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from loyalty.errors import Conflict, FieldError, InvalidInput, NotConfigured, NotFound
from loyalty.program import Program
from loyalty.types import InputInstant
from loyalty.versions import Activation, Timeline, VersionStatus, last_activation
from loyalty_service.ports import StaleState, StoredVersion
from loyalty_service.programs import ProgramSource
from loyalty_service.retries import backoff

MAX_ATTEMPTS = 4
STAGING_KEY = "activates_at"
"""The one top-level key of a PUT body that is not part of the program document."""


class ConcurrentActivation(Conflict):
    code = "concurrent_activation"

    def __init__(self) -> None:
        super().__init__("other program versions were being activated at the same time; send the request again")


@dataclass(frozen=True)
class VersionView:
    """A stored version as an admin sees it at one moment."""

    version: int
    status: VersionStatus
    activated_at: datetime | None
    activates_at: datetime | None
    activated_by: str
    document: Mapping[str, Any]


class _Staging(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    activates_at: InputInstant | None = None


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _activation_backoff(attempt: int) -> None:
    backoff(attempt, base=0.05)  # activations are rare: wait longer, lose fewer races


class ProgramAdmin:
    def __init__(
        self,
        programs: ProgramSource,
        *,
        clock: Callable[[], datetime] = _now,
        pause: Callable[[int], None] = _activation_backoff,
    ) -> None:
        self._programs = programs
        self._store = programs.store
        self._clock = clock
        self._pause = pause

    def active(self) -> VersionView:
        """The version in force now (``NotConfigured`` before the first activation: 503)."""
        return self.version(self._programs.active().version)

    def version(self, number: int) -> VersionView:
        stored = self._store.version(number)
        timeline = self._store.timeline()
        if stored is None or timeline is None:
            raise NotFound(f"no program version {number}")
        return _view(stored, timeline, self._clock())

    def versions(self) -> list[VersionView]:
        timeline = self._store.timeline()
        if timeline is None:
            return []
        now = self._clock()
        return [_view(stored, timeline, now) for stored in self._store.versions()]

    def activate(self, body: Mapping[str, Any], *, by: str) -> VersionView:
        """Validate (``InvalidInput`` with field paths: 422) and store the next version, in force now or staged.

        Two activations at once are ordered: the one that loses the race on the timeline reads it
        again and becomes the version after the other.
        """
        document = {key: value for key, value in body.items() if key != STAGING_KEY}
        Program.parse(document)
        now = self._clock()
        activates_at = _activates_at(body, now)
        for attempt in range(MAX_ATTEMPTS):
            before = self._store.timeline()
            after = (before or Timeline()).with_new_version(at=now, by=by, activates_at=activates_at)
            stored = StoredVersion(
                version=after.latest_version,
                document=document,
                created_at=now,
                created_by=by,
                activates_at=activates_at,
                activations=after.activations[-1:],
            )
            withdrawn = before.scheduled(now) if before is not None else None
            try:
                self._store.save_version(stored, before, after, withdrawn)
            except StaleState:
                self._pause(attempt)
                continue
            return _view(stored, after, now)
        raise ConcurrentActivation

    def rollback(self, number: int, *, by: str) -> VersionView:
        """Put a stored version back in force now (404 for a version never stored)."""
        for attempt in range(MAX_ATTEMPTS):
            before = self._store.timeline()
            stored = self._store.version(number)
            if before is None or stored is None:
                raise NotFound(f"no program version {number}")
            now = self._clock()
            after = before.with_rollback(number, at=now, by=by)
            activation = Activation(version=number, at=now, by=by)
            try:
                self._store.save_rollback(activation, before, after)
            except StaleState:
                self._pause(attempt)
                continue
            return _view(replace(stored, activations=(*stored.activations, activation)), after, now)
        raise ConcurrentActivation


def _activates_at(body: Mapping[str, Any], now: datetime) -> datetime | None:
    try:
        staging = _Staging.model_validate({STAGING_KEY: body.get(STAGING_KEY)})
    except ValidationError as error:
        raise InvalidInput.from_validation_error(error) from error
    if staging.activates_at is not None and staging.activates_at <= now:
        raise InvalidInput(
            "activates_at must be in the future",
            [
                FieldError(
                    field=STAGING_KEY, message="must be later than now; leave it out to activate at once", type="past"
                )
            ],
        )
    return staging.activates_at


def _view(stored: StoredVersion, timeline: Timeline, now: datetime) -> VersionView:
    status = timeline.status(stored.version, now)
    activated = last_activation(stored.activations, now)
    staged = timeline.scheduled(now) if status == "scheduled" else None
    change = staged or activated
    return VersionView(
        version=stored.version,
        status=status,
        activated_at=activated.at if activated else None,
        activates_at=stored.activates_at,
        activated_by=change.by if change else stored.created_by,
        document=stored.document,
    )


__all__ = ["ConcurrentActivation", "NotConfigured", "ProgramAdmin", "VersionView"]
