"""Program versions over time: which stored version scores a request at a given moment.

Every activation (a PUT, a staged PUT, a rollback) is an entry of a timeline. The version in
force at moment T is the latest entry dated at or before T, so a staged version takes over at its
instant with no job to flip it, and a request never needs more than the timeline to know its version.
The timeline every request reads keeps only what can still decide that: the activation in force when
it was last written and what is staged after it, so it stays a few hundred bytes however many
versions there are. Each version keeps its own activations, for the history an admin reads.
"""

from __future__ import annotations

from collections.abc import Iterable
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

    def with_new_version(self, *, at: datetime, by: str, activates_at: datetime | None) -> Timeline:
        """Store the next version, in force now or from ``activates_at``.

        A staged activation that has not begun is replaced: a manager's latest document is the plan.
        """
        version = self.latest_version + 1
        entry = Activation(version=version, at=activates_at or at, by=by)
        return Timeline(activations=(*self._in_force(at), entry), latest_version=version, revision=self.revision + 1)

    def with_rollback(self, version: int, *, at: datetime, by: str) -> Timeline:
        """Put a stored version back in force now. A staged activation still comes at its time."""
        if not 1 <= version <= self.latest_version:
            raise ValueError(f"version {version} was never stored")
        future = tuple(entry for entry in self.activations if entry.at > at)
        entry = Activation(version=version, at=at, by=by)
        return Timeline(activations=(entry, *future), latest_version=self.latest_version, revision=self.revision + 1)

    def _in_force(self, moment: datetime) -> tuple[Activation, ...]:
        current = self.current(moment)
        return (current,) if current is not None else ()


def last_activation(activations: Iterable[Activation], moment: datetime) -> Activation | None:
    """Of one version's activations, the latest at or before ``moment``: when it last came into force."""
    return max((entry for entry in activations if entry.at <= moment), key=lambda entry: entry.at, default=None)
