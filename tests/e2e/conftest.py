"""The local stack in-process under moto's ``mock_aws``, driven through a WSGI test client (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local.cloudformation import TEMPLATE, Stack
from local.stack import LocalStack
from sam_emulator.testing import emulated

REGION = "eu-central-1"
STOREFRONT_KEY = "local-storefront-key"
ADMIN_KEY = "local-admin-key"


@contextmanager
def embedded(stack: Stack, **options: Any) -> Iterator[LocalStack]:
    """The local stack of ``stack`` against moto in this process (``mock_aws``), started and, at the end, stopped."""
    with emulated(stack, LocalStack, **options) as local:
        yield local


def project_stack(**overrides: str) -> Stack:
    return Stack.load(TEMPLATE, region=REGION, overrides={"PublicBaseUrl": "http://localhost", **overrides})
