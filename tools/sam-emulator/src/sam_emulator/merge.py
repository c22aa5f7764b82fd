"""SAM's ``Globals``, merged into a resource's properties the way the SAM translator merges them.

The rules are the translator's (``samtranslator.plugins.globals``); the tests compare the two on
real templates:

- a scalar, or a value whose type differs between the two sides: the resource's own value wins;
- an intrinsic function (``{"Ref": ...}``, ``{"Fn::...": ...}``) counts as a scalar;
- two lists: concatenated, Globals' first (``Layers``, ``Policies``); no de-duplication;
- two maps: merged key by key with the same rules (``Environment.Variables``, ``Tags``);
- except where the translator replaces instead (``Function.Architectures``: the resource's list alone);
- the resource attribute ``IgnoreGlobals`` (``"*"`` or a list of property names) leaves those out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SERVERLESS = "AWS::Serverless::"
REPLACED = frozenset({"Function.Architectures", "CapacityProvider.InstanceRequirements.Architectures"})
"""Paths (``<section>.<property>...``) where the resource's own value replaces the global one."""


def is_intrinsic(value: Any) -> bool:
    """``{"Ref": ...}``, ``{"Condition": ...}`` or ``{"Fn::<name>": ...}``: one key naming an intrinsic function."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    (key,) = value
    return key in ("Ref", "Condition") or str(key).startswith("Fn::")


def _kind(value: Any) -> str:
    if isinstance(value, Mapping) and not is_intrinsic(value):
        return "map"
    return "list" if isinstance(value, list) else "scalar"


def merge(global_value: Any, own_value: Any, path: str) -> Any:
    """``own_value`` merged over ``global_value``; ``path`` (``Function.Layers``) selects the replace rule."""
    kind = _kind(global_value)
    if kind != _kind(own_value) or kind == "scalar" or path in REPLACED:
        return own_value
    if kind == "list":
        return [*global_value, *own_value]
    merged = dict(global_value)
    for key, value in own_value.items():
        merged[key] = merge(merged[key], value, f"{path}.{key}") if key in merged else value
    return merged


def merge_globals(template: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, Any]:
    """The properties of ``resource`` (a template entry) with the template's Globals for its type merged in."""
    own = dict(resource.get("Properties") or {})
    kind = str(resource.get("Type", ""))
    if not kind.startswith(SERVERLESS):
        return own
    section = kind.removeprefix(SERVERLESS)
    found = (template.get("Globals") or {}).get(section)
    if not found:
        return own
    ignored = resource.get("IgnoreGlobals")
    if ignored == "*":
        return own
    globals_ = {name: value for name, value in found.items() if name not in (ignored or ())}
    merged = merge(globals_, own, section)
    assert isinstance(merged, dict)
    return merged
