"""The body of POST /admin/backtest (the answers are the core's ``KpiReport`` and ``BacktestResult``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class BacktestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    program: dict[str, Any]
    """A candidate program document: validated as ``PUT /admin/program`` would, never stored."""
    start: date = Field(alias="from")
    end: date = Field(alias="to")
