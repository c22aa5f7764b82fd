"""boto3 clients, created on first use and then reused for the life of the execution environment."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=2, read_timeout=5)


@cache
def dynamodb() -> Any:
    return boto3.client("dynamodb", config=_CONFIG)


@cache
def sesv2() -> Any:
    return boto3.client("sesv2", config=_CONFIG)


@cache
def sqs() -> Any:
    return boto3.client("sqs", config=_CONFIG)


@cache
def events() -> Any:
    return boto3.client("events", config=_CONFIG)


def reset() -> None:
    """Forget the clients (tests switch endpoints and credentials between cases)."""
    for factory in (dynamodb, sesv2, sqs, events):
        factory.cache_clear()
