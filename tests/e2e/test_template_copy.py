"""A copy of template.yaml with one more route: the local stack serves what the template says, no more, no less."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfn_tools import dump_yaml, load_yaml

from local.cloudformation import ROOT, TEMPLATE, Stack
from sam_emulator.testing import Http
from tests.e2e.conftest import REGION, STOREFRONT_KEY, embedded

pytestmark = pytest.mark.e2e


def test_a_route_added_to_a_copy_of_the_template_is_served(tmp_path: Path) -> None:
    # GIVEN a copy of template.yaml with one more route on OrdersFunction
    template = load_yaml(TEMPLATE.read_text(encoding="utf-8"))
    template["Resources"]["OrdersFunction"]["Properties"]["Events"]["Quote"] = {
        "Type": "Api",
        "Properties": {"RestApiId": {"Ref": "LoyaltyApi"}, "Path": "/orders/quote", "Method": "POST"},
    }
    copy = tmp_path / "template.yaml"
    copy.write_text(dump_yaml(template), encoding="utf-8")
    stack = Stack.load(copy, region=REGION, base_dir=ROOT)
    with embedded(stack, demo=False, warm=False) as local:
        # WHEN the new path is called without a key, then with one
        http = Http(local)
        anonymous = http.post("/orders/quote", {}, anonymous=True)
        with_key = http.post("/orders/quote", {}, key=STOREFRONT_KEY)
    # THEN the gateway knows the route (401 before the key, not 404), and hands it to OrdersFunction
    assert anonymous.status == 401
    assert local.functions["OrdersFunction"].invocations == 1
    assert with_key.status == 404  # Powertools' resolver in OrdersFunction has no such route
