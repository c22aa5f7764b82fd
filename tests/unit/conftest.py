from __future__ import annotations

import pytest

from loyalty.program import Program
from tests.unit.builders import spec_document


@pytest.fixture
def program() -> Program:
    """The example program of SPEC section 3."""
    return Program.parse(spec_document())
