from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.aws import embedded_aws
from tests.unit.builders import spec_document


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """A moto DynamoDB with the template's tables, and the functions' environment."""
    with embedded_aws() as client:
        yield client


@pytest.fixture
def program_document() -> dict[str, Any]:
    return spec_document()
