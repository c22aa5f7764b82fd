"""The stub stack (``stub/``): a small SAM template whose functions show what the emulator handed them.

The stubs misbehave on purpose (raise, answer malformed results, deny), so routing, authorizers,
jobs, queues and the outbox are tested without any application's functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sam_emulator.emulator import Emulator
from sam_emulator.template import Stack
from sam_emulator.testing import Http, emulated

STUB = Path(__file__).resolve().parent / "stub"
REGION = "eu-central-1"


@pytest.fixture
def stub_template() -> Path:
    return STUB / "template.yaml"


@pytest.fixture
def stub(stub_template: Path) -> Iterator[Emulator]:
    with emulated(Stack.load(stub_template, region=REGION)) as app:
        yield app


@pytest.fixture
def stub_http(stub: Emulator) -> Http:
    return Http(stub, key="good-key")


@pytest.fixture
def stub_variant(tmp_path: Path, stub_template: Path) -> Callable[[str, str], Stack]:
    """The stub stack with one piece of its template text replaced (its code stays in ``stub/``)."""

    def variant(old: str, new: str) -> Stack:
        text = stub_template.read_text(encoding="utf-8")
        assert old in text
        path = tmp_path / "template.yaml"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return Stack.load(path, region=REGION, base_dir=STUB)

    return variant
