"""An embedded AWS for a test: moto, the tables of template.yaml, and each function's environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from local.cloudformation import Stack
from loyalty_aws import clients
from loyalty_aws.settings import settings
from sam_emulator.environment import offline_aws
from sam_emulator.serial import serialise_dynamodb

REGION = "eu-central-1"


@contextmanager
def embedded_aws(function: str = "OrdersFunction") -> Iterator[Any]:
    """moto with every table of the template created, and ``function``'s environment applied."""
    serialise_dynamodb()
    stack = Stack.load(region=REGION)
    environment = {"POWERTOOLS_METRICS_NAMESPACE": "Loyalty", **stack.function_environment(function)}
    settings.cache_clear()
    clients.reset()
    try:
        with offline_aws(REGION, extra=environment), mock_aws():
            client = boto3.client("dynamodb", region_name=REGION)
            stack.create_tables(client)
            yield client
    finally:
        settings.cache_clear()
        clients.reset()
