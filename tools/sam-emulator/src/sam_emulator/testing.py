"""Testing with the emulator: a stack under moto's in-process ``mock_aws``, driven through a WSGI client;
and the SAM translator's view of a template's functions, to check the emulator reads them as SAM does.

No sockets and no threads: ``emulated(stack)`` starts the emulator against ``mock_aws`` with the
offline AWS environment, and ``Http(app)`` sends it requests as curl would.

.. code-block:: python

    with emulated(Stack.load("template.yaml")) as app:
        reply = Http(app, key="my-key").get("/items/1")
        assert reply.status == 200
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from moto import mock_aws
from werkzeug.datastructures import Headers
from werkzeug.test import Client

from sam_emulator.emulator import Emulator
from sam_emulator.environment import offline_aws
from sam_emulator.template import Stack

App = TypeVar("App", bound=Emulator)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    """The JSON body, parsed (None when the body is empty or not JSON)."""
    headers: Headers
    text: str


class Http:
    """Requests to a WSGI app, as curl would send them; ``key`` goes in ``x-api-key`` unless told otherwise."""

    def __init__(self, app: Any, key: str | None = None, key_header: str = "x-api-key") -> None:
        self._client = Client(app)
        self.key = key
        self.key_header = key_header

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        anonymous: bool = False,
        headers: dict[str, str] | None = None,
        data: bytes | str | None = None,
        content_type: str | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        key = None if anonymous else key or self.key
        if key is not None:
            sent[self.key_header] = key
        if body is not None:
            data, content_type = json.dumps(body), "application/json"
        response = self._client.open(path, method=method, headers=sent, data=data, content_type=content_type)
        text = response.get_data(as_text=True)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return Reply(response.status_code, parsed, response.headers, text)

    def get(self, path: str, **options: Any) -> Reply:
        return self.request("GET", path, **options)

    def post(self, path: str, body: Any = None, **options: Any) -> Reply:
        return self.request("POST", path, body, **options)

    def put(self, path: str, body: Any = None, **options: Any) -> Reply:
        return self.request("PUT", path, body, **options)

    def delete(self, path: str, **options: Any) -> Reply:
        return self.request("DELETE", path, **options)


@contextmanager
def emulated(stack: Stack, factory: Callable[..., App] = Emulator, **options: Any) -> Iterator[App]:
    """``factory(stack, **options)`` (an ``Emulator``) against moto in this process, started; stopped at the end."""
    with offline_aws(stack.region), mock_aws():
        app = factory(stack, **options).start()
        try:
            yield app
        finally:
            app.stop()


# ---------------------------------------------------------------------- the SAM translator, for comparison

LAMBDA_PROPERTIES = (
    "Handler",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Description",
    "Environment",
    "Layers",
    "Architectures",
)
"""Function properties the emulator uses that the translator copies to ``AWS::Lambda::Function`` as they are."""
COMPARED = (*LAMBDA_PROPERTIES, "Tracing")


class _NoManagedPolicies:
    """The translator asks IAM for the ARNs of AWS managed policies by name; offline, it knows none."""

    def load(self) -> dict[str, str]:
        return {}


def merged_functions(stack: Stack) -> dict[str, dict[str, Any]]:
    """Each function's properties as the emulator merges them with Globals (the ``COMPARED`` ones)."""
    return {
        logical_id: {name: value for name, value in stack.function_properties(logical_id).items() if name in COMPARED}
        for logical_id in stack.functions()
    }


def translated_functions(stack: Stack) -> dict[str, dict[str, Any]]:
    """Each function's properties as the SAM translator writes them (the ``COMPARED`` ones, in SAM's terms).

    Needs ``aws-sam-translator`` (the ``test`` extra). Code locations become S3 URIs first, as ``sam
    validate`` does; the translator's layer ids (``<LogicalId><hash>``) are mapped back to the template's.
    """
    from samtranslator.translator.transform import transform

    template = json.loads(json.dumps(stack.template))  # plain data: the translator changes what it is given
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for location in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(location), str):
                properties[location] = f"s3://bucket/{properties[location]}"
    with offline_aws(stack.region):
        output = transform(template, dict(stack.overrides), _NoManagedPolicies())  # type: ignore[arg-type]
    layers = {}
    for translated, resource in output["Resources"].items():
        if resource["Type"] == "AWS::Lambda::LayerVersion":
            layers[translated] = max(
                (name for name in stack.of_type("AWS::Serverless::LayerVersion") if translated.startswith(name)),
                key=len,
            )
    found = {}
    for logical_id in stack.functions():
        properties = output["Resources"][logical_id]["Properties"]
        sam = {name: properties[name] for name in LAMBDA_PROPERTIES if name in properties}
        if "Layers" in sam:
            sam["Layers"] = [_original_layer(layer, layers) for layer in sam["Layers"]]
        if "TracingConfig" in properties:
            sam["Tracing"] = properties["TracingConfig"]["Mode"]
        found[logical_id] = sam
    return found


def _original_layer(layer: Any, translated: Mapping[str, str]) -> Any:
    if isinstance(layer, Mapping) and set(layer) == {"Ref"} and layer["Ref"] in translated:
        return {"Ref": translated[layer["Ref"]]}
    return layer
