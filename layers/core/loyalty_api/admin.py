"""The body of PUT and GET /admin/program."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty_api.body import Body
from loyalty_service.ports import ActiveProgram


class ProgramVersion(Body):
    version: int
    activated_at: datetime
    program: dict[str, Any]

    @classmethod
    def of(cls, active: ActiveProgram) -> ProgramVersion:
        return cls(version=active.version, activated_at=active.activated_at, program=dict(active.document))
