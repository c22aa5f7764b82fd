"""The bodies of the program routes: a version with its status, and the list of versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty.versions import VersionStatus
from loyalty_api.body import Body
from loyalty_service.admin import VersionView


class VersionSummary(Body):
    version: int
    status: VersionStatus
    activated_at: datetime | None
    activates_at: datetime | None
    activated_by: str

    @classmethod
    def of(cls, view: VersionView) -> VersionSummary:
        return cls(
            version=view.version,
            status=view.status,
            activated_at=view.activated_at,
            activates_at=view.activates_at,
            activated_by=view.activated_by,
        )


class ProgramVersion(VersionSummary):
    program: dict[str, Any]

    @classmethod
    def of(cls, view: VersionView) -> ProgramVersion:
        return cls(**VersionSummary.of(view).model_dump(), program=dict(view.document))


class VersionList(Body):
    versions: list[VersionSummary]
