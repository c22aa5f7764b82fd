"""docs/openapi.json is what the resolvers and template.yaml say now: a route change without `make openapi` fails."""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.swagger import openapi_document
from scripts.openapi import DOCUMENT, ROOT, Generated, check, generate, load_module, render, routes_of

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def generated() -> Generated:
    return generate()


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    return json.loads(DOCUMENT.read_text(encoding="utf-8"))


def test_the_committed_document_is_what_the_code_generates(generated: Generated) -> None:
    differences = check(generated)

    assert not differences, "docs/openapi.json drifted from the code; run `make openapi`:\n  " + "\n  ".join(
        differences
    )


def test_every_route_the_template_declares_is_documented(generated: Generated, committed: dict[str, Any]) -> None:
    implemented = [function for function in generated.functions if function.logical_id not in generated.without_app]
    declared = {(route.method.upper(), route.path) for function in implemented for route in function.routes}

    missing = sorted(declared - routes_of(committed))

    assert not missing, (
        f"template routes missing from docs/openapi.json: {missing}; "
        f"functions without `app` (not implemented yet, not checked): {generated.without_app or 'none'}"
    )


def test_every_documented_route_is_one_the_template_declares(generated: Generated, committed: dict[str, Any]) -> None:
    declared = {(route.method.upper(), route.path) for function in generated.functions for route in function.routes}

    undeclared = sorted(routes_of(committed) - declared)

    assert not undeclared, (
        f"routes in the resolvers that API Gateway would not serve (add them to template.yaml): {undeclared}"
    )


def test_the_document_is_valid_openapi(committed: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")

    validator.validate(committed)


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


HTML_PAGES = {"GET /unsubscribe", "POST /unsubscribe"}
"""The routes a person opens from an email: their 400 is an HTML page, not the envelope."""


def test_every_error_answer_is_the_envelope(committed: dict[str, Any]) -> None:
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    errors = {
        (route, status): response["content"]["application/json"]["schema"]
        for route, operation in operations(committed)
        for status, response in operation["responses"].items()
        if int(status) >= 400 and route not in HTML_PAGES
    }

    assert errors
    assert {key: schema for key, schema in errors.items() if schema != envelope} == {}


def test_every_route_documents_its_success_answer(committed: dict[str, Any]) -> None:
    without_success = [
        route
        for route, operation in operations(committed)
        if not any(
            200 <= int(status) < 300 and "content" in answer for status, answer in operation["responses"].items()
        )
    ]

    assert without_success == []


def test_every_route_behind_a_key_documents_the_401(committed: dict[str, Any]) -> None:
    without_401 = [
        route
        for route, operation in operations(committed)
        if operation.get("security") and "401" not in operation["responses"]
    ]

    assert without_401 == []
    assert committed["components"]["securitySchemes"]["StorefrontKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "API key authorizer for storefront routes (storefront and admin keys pass).",
    }


def test_a_route_missing_from_the_committed_document_is_drift(generated: Generated, tmp_path: Path) -> None:
    stale = copy.deepcopy(generated.document)
    del stale["paths"]["/orders/preview"]
    (tmp_path / "openapi.json").write_text(render(stale), encoding="utf-8")

    differences = check(generated, tmp_path / "openapi.json")

    assert differences == ["route added:   POST /orders/preview"]


def test_a_changed_model_in_the_committed_document_is_drift(generated: Generated, tmp_path: Path) -> None:
    stale = copy.deepcopy(generated.document)
    stale["components"]["schemas"]["Decision"]["required"] = []
    (tmp_path / "openapi.json").write_text(render(stale), encoding="utf-8")

    differences = check(generated, tmp_path / "openapi.json")

    assert differences == ["schema changed: Decision"]


def test_the_swagger_page_merges_the_same_document_when_none_is_committed(generated: Generated, tmp_path: Path) -> None:
    modules = [(function.logical_id, load_module(function.code_uri)) for function in generated.functions]

    document = openapi_document(modules, path=tmp_path / "missing.json")

    assert document == {**generated.document, "servers": [{"url": "/"}]}


@pytest.mark.parametrize("source", ["scripts/openapi.py", "local/swagger.py"])
def test_the_document_is_built_without_powertools_private_attributes(source: str) -> None:
    tree = ast.parse((ROOT / source).read_text(encoding="utf-8"))

    private = sorted(
        {
            node.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.endswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id == "self")  # its own state
        }
    )

    assert private == []


def test_the_unsubscribe_pages_are_documented_as_html(committed: dict[str, Any]) -> None:
    for method in ("get", "post"):
        answers = committed["paths"]["/unsubscribe"][method]["responses"]

        assert set(answers["200"]["content"]) == {"text/html"}
        assert set(answers["400"]["content"]) == {"text/html"}


def test_every_route_documents_the_gateway_throttle(committed: dict[str, Any]) -> None:
    assert [route for route, operation in operations(committed) if "429" not in operation["responses"]] == []


def test_the_writes_that_retry_document_the_contended_409(committed: dict[str, Any]) -> None:
    conflict = committed["paths"]["/orders"]["post"]["responses"]["409"]["description"]

    assert "`contended`" in conflict
