"""``GET /swagger``: Swagger UI for the local API, offline: Powertools' own page with the Swagger UI bundle it ships.

The document is the committed ``docs/openapi.json``; until that exists, it is merged from the API
functions' resolvers with Powertools' ``OpenAPIMerge``. Either way its ``servers`` is the local
origin, so "Try it out" calls this machine (with the key entered under "Authorize").
``?format=json`` answers the document itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

import aws_lambda_powertools.event_handler as event_handler
from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn
from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html
from werkzeug.wrappers import Request, Response

from local.cloudformation import ROOT
from sam_emulator.control import json_response
from sam_emulator.lambdas import Functions

OPENAPI = ROOT / "docs" / "openapi.json"
ASSETS = Path(event_handler.__file__).parent / "openapi" / "swagger_ui"


def openapi_document(resolvers: Iterable[Any], path: Path = OPENAPI) -> dict[str, Any]:
    """The committed OpenAPI document, or one merged from ``resolvers`` (Powertools API resolvers)."""
    if path.is_file():
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    else:
        merge = OpenAPIMerge(
            title="Loyalty engine API (local)",
            version="local",
            security_schemes={"ApiKey": APIKey(name="x-api-key", in_=APIKeyIn.header)},
            security=[{"ApiKey": []}],
            on_conflict="first",
        )
        for resolver in resolvers:
            merge.add_schema(resolver.get_openapi_schema())
        document = json.loads(merge.get_openapi_json_schema())
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
        resolvers = []
        for function in self._functions.values():
            resolver = getattr(function.load(), "app", None) if function.loaded else None
            if hasattr(resolver, "get_openapi_schema"):
                resolvers.append(resolver)
        return openapi_document(resolvers)

    def __call__(self, request: Request) -> Response:
        if request.args.get("format") == "json":
            return json_response(self.document)
        return Response(swagger_page(self.document), content_type="text/html; charset=utf-8")
