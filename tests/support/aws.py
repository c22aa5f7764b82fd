"""An embedded AWS for a test: moto, the tables of template.yaml, and each function's environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from local.cloudformation import Stack
from local.serial import serialise_dynamodb
from loyalty_aws import clients
from loyalty_aws.settings import settings

REGION = "eu-central-1"


@contextmanager
def embedded_aws(function: str = "OrdersFunction") -> Iterator[Any]:
    """moto with every table of the template created, and ``function``'s environment applied."""
    serialise_dynamodb()
    stack = Stack.load(region=REGION)
    environment = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_METRICS_NAMESPACE": "Loyalty",
        **stack.function_environment(function),
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    settings.cache_clear()
    clients.reset()
    try:
        with mock_aws():
            client = boto3.client("dynamodb", region_name=REGION)
            stack.create_tables(client)
            yield client
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.cache_clear()
        clients.reset()
