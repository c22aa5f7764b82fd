"""``GET /swagger``: Swagger UI for the local API, offline: Powertools' own page with the Swagger UI bundle it ships.

The document is the committed ``docs/openapi.json``; until that exists, it is the one ``make openapi``
would write, merged by ``scripts.openapi.merged_document`` (Powertools' ``OpenAPIMerge``, the template's
key schemes, the error envelope) from the API functions this stack has loaded. Either way its
``servers`` is the local origin, so "Try it out" calls this machine (with the key entered under
"Authorize"). ``?format=json`` answers the document itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import aws_lambda_powertools.event_handler as event_handler
from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html
from werkzeug.wrappers import Request, Response

from local.cloudformation import ROOT, Stack
from sam_emulator.control import json_response
from sam_emulator.lambdas import Functions
from scripts.openapi import api_functions, merged_document

OPENAPI = ROOT / "docs" / "openapi.json"
ASSETS = Path(event_handler.__file__).parent / "openapi" / "swagger_ui"


def openapi_document(modules: Iterable[tuple[str, ModuleType]], path: Path = OPENAPI) -> dict[str, Any]:
    """The committed OpenAPI document, or the one merged from ``modules`` (logical id, handler module)."""
    if path.is_file():
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    else:
        stack = Stack.load()
        loaded = dict(modules)
        functions = [function for function in api_functions(stack) if function.logical_id in loaded]
        document = merged_document(stack, [(function, loaded[function.logical_id]) for function in functions])
    return {**document, "servers": [{"url": "/"}]}


def swagger_page(document: dict[str, Any]) -> str:
    spec = json.dumps(document, indent=2).replace("</", "<\\/")
    script = (ASSETS / "swagger-ui-bundle.min.js").read_text(encoding="utf-8")
    style = (ASSETS / "swagger-ui.min.css").read_text(encoding="utf-8")
    page = generate_swagger_html(spec, script, style, "", None)
    # Swagger UI would otherwise ask swagger.io's online validator about the document.
    return page.replace('layout: "BaseLayout",', 'layout: "BaseLayout",\n    validatorUrl: null,', 1)


class Swagger:
    """The ``/swagger`` route: the page, or with ``?format=json`` the document (from the functions loaded)."""

    def __init__(self, functions: Functions) -> None:
        self._functions = functions

    @cached_property
    def document(self) -> dict[str, Any]:
        loaded = [(logical_id, function.load()) for logical_id, function in self._functions.items() if function.loaded]
        return openapi_document(loaded)

    def __call__(self, request: Request) -> Response:
        if request.args.get("format") == "json":
            return json_response(self.document)
        return Response(swagger_page(self.document), content_type="text/html; charset=utf-8")
