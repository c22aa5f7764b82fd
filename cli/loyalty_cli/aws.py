"""How the commands reach AWS: as boto3 does, plus what the local stack (``make run``) needs to be found.

With ``AWS_ENDPOINT_URL`` set and nothing configured, a command works against the local stack as it is:
a default region (the stack's) and dummy credentials are filled in, and the table names are read
from template.yaml as ``make run`` names them. Real configuration always wins over these defaults.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loyalty_service.ports import ActiveProgram

LOCAL_REGION = "eu-central-1"
"""The region ``make run`` creates its tables in unless ``AWS_DEFAULT_REGION`` says otherwise."""
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class StoredDataUnavailable(Exception):
    """What is stored (orders, accounts, the active program) cannot be read; the message says why and what to do."""


def endpoint_url() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL") or None


def use_endpoint_defaults() -> None:
    """With an endpoint URL and no region or credentials configured, default them (the local stack's)."""
    if endpoint_url() is None:
        return
    import boto3

    with _no_instance_metadata():
        session = boto3.Session()
        region, credentials = session.region_name, session.get_credentials()
    if region is None:
        os.environ["AWS_DEFAULT_REGION"] = LOCAL_REGION
    if credentials is None:
        os.environ.update(DUMMY_CREDENTIALS)


def local_usage_plan(role: str) -> str | None:
    """Against the local stack, the id of the usage plan ``make run`` created for keys of ``role``."""
    if endpoint_url() is None:
        return None
    import boto3

    from local.cloudformation import Stack
    from local.stack import usage_plan_of

    plan = Stack.load().usage_plans().get(usage_plan_of(role))
    if plan is None:
        return None
    found = boto3.client("apigateway").get_usage_plans().get("items", [])
    return next((str(item["id"]) for item in found if item.get("name") == plan.name), None)


def use_local_tables(function_logical_id: str) -> None:
    """Against the local stack, name the tables as ``make run`` does: ``function_logical_id``'s environment.

    Nothing changes without ``AWS_ENDPOINT_URL``, or when the table names are already in the environment.
    """
    if endpoint_url() is None:
        return
    from local.cloudformation import Stack

    for name, value in Stack.load().function_environment(function_logical_id).items():
        if name.endswith(("_TABLE", "_SHARDS")):
            os.environ.setdefault(name, value)
    from loyalty_aws.settings import settings

    settings.cache_clear()


def require_tables() -> None:
    """The table names the adapters need are in the environment, or ``StoredDataUnavailable`` names the missing ones."""
    from pydantic import ValidationError

    from loyalty_aws.settings import settings

    try:
        settings()
    except ValidationError as error:
        missing = sorted({str(detail["loc"][0]).upper() for detail in error.errors()})
        raise StoredDataUnavailable(
            f"no {', '.join(missing)} in the environment: set the stack's table names "
            "(its functions' environment), or AWS_ENDPOINT_URL for the local stack"
        ) from error


def active_program() -> ActiveProgram:
    """The program version in force now, read as every function reads it; ``NotConfigured`` when there is none."""
    from loyalty_aws.programs import DynamoProgramStore
    from loyalty_service.programs import ProgramSource

    return ProgramSource(DynamoProgramStore()).active()


@contextmanager
def _no_instance_metadata() -> Iterator[None]:
    """Looking for credentials must not wait on the EC2 metadata service of a laptop that has none."""
    before = os.environ.get("AWS_EC2_METADATA_DISABLED")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    try:
        yield
    finally:
        if before is None:
            del os.environ["AWS_EC2_METADATA_DISABLED"]
        else:
            os.environ["AWS_EC2_METADATA_DISABLED"] = before
