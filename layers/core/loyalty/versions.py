"""Program versions over time: which stored version scores a request at a given moment.

Every activation (a PUT, a staged PUT, a rollback) is an entry of one timeline. The version in
force at moment T is the latest entry dated at or before T, so a staged version takes over at its
instant with no job to flip it, and a request never needs more than the timeline to know its version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from loyalty.types import Instant

VersionStatus = Literal["active", "scheduled", "retired"]


class Activation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    at: Instant
    by: str
    """The label of the admin key that made the change."""


class Timeline(BaseModel):
    """All activations, oldest first, and the number the next stored version gets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    activations: tuple[Activation, ...] = ()
    latest_version: int = 0
    revision: int = 0
    """Moves on with every change: each write is conditioned on the revision it read."""

    def current(self, moment: datetime) -> Activation | None:
        """The activation in force at ``moment``: the latest one dated at or before it."""
        return next((entry for entry in reversed(self.activations) if entry.at <= moment), None)

    def scheduled(self, moment: datetime) -> Activation | None:
        """A staged activation that has not begun at ``moment``."""
        return next((entry for entry in self.activations if entry.at > moment), None)

    def status(self, version: int, moment: datetime) -> VersionStatus:
        current = self.current(moment)
        if current is not None and current.version == version:
            return "active"
        scheduled = self.scheduled(moment)
        if scheduled is not None and scheduled.version == version:
            return "scheduled"
        return "retired"

    def last_activation(self, version: int, moment: datetime) -> Activation | None:
        """When ``version`` last became the one in force, at or before ``moment``."""
        return next(
            (entry for entry in reversed(self.activations) if entry.version == version and entry.at <= moment),
            None,
        )

    def change_of(self, version: int, moment: datetime) -> Activation | None:
        """The entry that explains the version's status at ``moment``: its staging, or its last activation."""
        scheduled = self.scheduled(moment)
        if scheduled is not None and scheduled.version == version:
            return scheduled
        return self.last_activation(version, moment)

    def with_new_version(self, *, at: datetime, by: str, activates_at: datetime | None) -> Timeline:
        """Store the next version, in force now or from ``activates_at``.

        A staged activation that has not begun is replaced: a manager's latest document is the plan.
        """
        version = self.latest_version + 1
        kept = tuple(entry for entry in self.activations if entry.at <= at)
        entry = Activation(version=version, at=activates_at or at, by=by)
        return Timeline(activations=(*kept, entry), latest_version=version, revision=self.revision + 1)

    def with_rollback(self, version: int, *, at: datetime, by: str) -> Timeline:
        """Put a stored version back in force now. A staged activation still comes at its time."""
        if not 1 <= version <= self.latest_version:
            raise ValueError(f"version {version} was never stored")
        past = tuple(entry for entry in self.activations if entry.at <= at)
        future = tuple(entry for entry in self.activations if entry.at > at)
        entry = Activation(version=version, at=at, by=by)
        return Timeline(
            activations=(*past, entry, *future), latest_version=self.latest_version, revision=self.revision + 1
        )
