"""Plain Python values <-> DynamoDB attribute values, for the low-level client the transactions need."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Serialise a mapping; ``None`` values are left out (DynamoDB has no use for empty attributes here)."""
    return {name: _SERIALIZER.serialize(_plain(value)) for name, value in values.items() if value is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _natural(_DESERIALIZER.deserialize(value)) for name, value in item.items()}


def value(python: Any) -> dict[str, Any]:
    return _SERIALIZER.serialize(_plain(python))


def key(**parts: Any) -> dict[str, Any]:
    return to_item(parts)


def _plain(python: Any) -> Any:
    if isinstance(python, bool) or python is None:
        return python
    if isinstance(python, int):
        return Decimal(python)
    if isinstance(python, float):
        raise TypeError("floats are not stored: use Decimal")
    if isinstance(python, Mapping):
        return {name: _plain(item) for name, item in python.items() if item is not None}
    if isinstance(python, list | tuple):
        return [_plain(item) for item in python]
    return python


def _natural(stored: Any) -> Any:
    """Whole numbers come back as ``int``, fractional ones as ``Decimal``."""
    if isinstance(stored, Decimal):
        exponent = stored.as_tuple().exponent
        return int(stored) if isinstance(exponent, int) and exponent >= 0 else stored
    if isinstance(stored, dict):
        return {name: _natural(item) for name, item in stored.items()}
    if isinstance(stored, list):
        return [_natural(item) for item in stored]
    if isinstance(stored, set):
        return {_natural(item) for item in stored}
    return stored
