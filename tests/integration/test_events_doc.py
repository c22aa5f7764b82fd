"""docs/events.md is what the event models generate: a changed event without `loyalty events-doc --write` fails."""

from __future__ import annotations

import pytest

from loyalty.events import DETAILS
from loyalty_cli.events_doc import DOCUMENT, render, stale

pytestmark = pytest.mark.integration


def test_the_committed_events_document_is_what_the_models_generate() -> None:
    assert not stale(), "docs/events.md drifted from layers/core/loyalty/events.py; run `loyalty events-doc --write`"


def test_every_event_type_has_a_section_with_an_example_and_a_schema() -> None:
    text = render()

    for kind in DETAILS:
        section = text.split(f"\n## {kind}\n", 1)[1].split("\n## ", 1)[0]
        assert f'"detail-type": "{kind}"' in section
        assert "JSON Schema" in section


def test_a_changed_document_is_seen_as_stale(tmp_path: pytest.TempPathFactory) -> None:
    copy = tmp_path / "events.md"  # type: ignore[operator]
    copy.write_text(DOCUMENT.read_text(encoding="utf-8") + "\nedited by hand\n", encoding="utf-8")

    assert stale(copy)
