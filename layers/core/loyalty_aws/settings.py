"""Configuration from the environment template.yaml declares, read once at first use (never at import)."""

from __future__ import annotations

import os
from functools import cache
from typing import Literal

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
    history_table: str = Field(min_length=1)
    stats_table: str = Field(min_length=1)
    claims_table: str = Field(min_length=1)
    due_shards: int = Field(default=8, ge=1, le=64)
    report_shards: int = Field(default=2, ge=1, le=64)
    stats_shards: int = Field(default=16, ge=1, le=64)
    max_future_skew_minutes: float = Field(default=0, ge=0)
    inline_work_limit: int = Field(default=200, ge=0)
    work_page_size: int = Field(default=25, ge=1, le=100)
    work_queue_url: str | None = None
    digest_sender: str = "rewards@example.com"
    digest_send_rate: float = Field(default=10, gt=0)
    unsubscribe_secret_arn: str | None = None
    public_base_url: str = ""
    event_bus_name: str | None = None
    """The EventBridge bus the events publisher puts domain events on."""
    required_role: Literal["storefront", "admin"] | None = None
    """The API key authorizers: the role a route needs (``admin`` keys pass ``storefront`` routes too)."""

    @classmethod
    def from_environment(cls) -> Settings:
        return cls.model_validate({name.lower(): value for name, value in os.environ.items()})


@cache
def settings() -> Settings:
    """The settings of this process; a test that changes the environment calls ``settings.cache_clear()``."""
    return Settings.from_environment()
