"""Configuration from the environment template.yaml declares, read once at first use (never at import)."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Table names and tunables. Each field is the lower-cased name of a template environment variable."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    accounts_table: str = Field(min_length=1)
    ledger_table: str = Field(min_length=1)
    orders_table: str = Field(min_length=1)
    codes_table: str = Field(min_length=1)
    programs_table: str = Field(min_length=1)
    api_keys_table: str = Field(min_length=1)
    surveys_table: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)
    due_shards: int = Field(default=8, ge=1, le=64)
    program_cache_seconds: float = Field(default=30, ge=0)
    max_future_skew_minutes: float = Field(default=0, ge=0)

    @classmethod
    def from_environment(cls) -> Settings:
        return cls.model_validate({name.lower(): value for name, value in os.environ.items()})


@cache
def settings() -> Settings:
    """The settings of this process; a test that changes the environment calls ``settings.cache_clear()``."""
    return Settings.from_environment()
