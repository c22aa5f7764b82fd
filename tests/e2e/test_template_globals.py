"""template.yaml's functions run locally with the properties SAM deploys: Globals merged as SAM merges them."""

from __future__ import annotations

import pytest

from sam_emulator.testing import merged_functions, translated_functions
from tests.e2e.conftest import project_stack

pytestmark = pytest.mark.e2e


def test_every_functions_merged_properties_are_the_sam_translators() -> None:
    # GIVEN template.yaml as the local stack reads it
    stack = project_stack()
    # WHEN its functions' Globals are merged by the emulator and by the SAM translator
    merged, translated = merged_functions(stack), translated_functions(stack)
    # THEN each function has the same handler, runtime, sizes, environment, layers and tracing
    assert set(merged) == set(translated) == set(stack.functions())
    for logical_id in merged:
        assert merged[logical_id] == translated[logical_id], logical_id
    assert all({"Ref": "CoreLayer"} in properties["Layers"] for properties in merged.values())
