"""Request and response bodies that exist only at the HTTP edge (the core's models serve the rest).

Money is a string with two decimals (half-even), percents are written as given (``"5"``), times are
ISO-8601 UTC with a ``Z`` (``2026-12-10T10:00:00Z``), points are integers.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    model_config = ConfigDict(frozen=True)
