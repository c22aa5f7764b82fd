"""moto's DynamoDB at the soak's scale: the same answers, without the costs that grow with the history.

Five of moto's ways are fine for a test of ten items and ruinous for a hundred thousand operations
on twelve accounts whose items grow with their orders (see README, section Soak):

- Answers of the data operations (GetItem, BatchGetItem, Query, Scan, the writes) go through moto's
  generic serializer, which walks the operation's output shape and looks every attribute of every
  item up by several aliases: most of a request's time once an item holds a few hundred lots. Those
  answers are already in DynamoDB's JSON wire format (``{"S": ...}`` per value), so they are written
  with ``json.dumps``, binary values base64-encoded as the wire wants them; errors, and every other
  operation, still go through moto's serializer. Their requests, likewise, are walked member by member
  against the input shape, which only turns blobs into bytes (and timestamps, which these operations do
  not have): a request without a binary value is read with ``json.loads``.
- Every attribute stored into a new item re-measures the whole item so far, to refuse items over
  400 KB: quadratic in the item's size. The item is measured once, whole, and refused just the same
  (the sizes are sums of non-negative parts, so the whole is over the limit exactly when some prefix
  of it was); the limit is moto's own. Measuring copies every map and list below the one measured,
  at every level (``DynamoType(value)`` of a value already converted copies it), so an item's
  values are measured as they are: the same sum, without the copies.
- Every write to a table with a stream appends its old and new images to a list in memory, kept
  for ever and read by nothing unless a Lambda function is mapped to the stream. The soak maps none
  and reads no stream, so a write to a stream nobody reads records nothing (DynamoDB itself keeps a
  stream's records for 24 hours, then drops them).
- Every Scan page and every Query of a table sorts all of its items by their keys, comparing
  ``DynamoType`` objects (a Python call per comparison). They are sorted by the keys' values
  instead, the same order (``DynamoType`` compares its values), with the comparisons in C: a
  paginated Scan of 200,000 items of 400 bytes took 90.5 s instead of 124.1 s.
- Every ``Item`` moto makes is also appended to a register of all its model instances, which its
  dashboard reads and nothing here does: every version of every item ever written, and every item
  read from a request, stays in memory until the mock ends. An account item is written again with
  each of its orders, its lots and volume buckets with it, so the register held most of the soak's
  memory (13,842 items after 3,000 operations, about 4,150 of them stored). Items are not registered.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import StreamShard, Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler

_measure = DynamoType.size
"""moto's own measure, for the values that hold no others."""
ITEM_SIZE_LIMIT = 405_000
"""moto's limit (``LimitedSizeDict``): DynamoDB's 400 KB, measured as moto measures an item."""

_WIRE_FORMAT = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_CONTENT_TYPE = "application/x-amz-json-1.0"
_BINARY = re.compile(rb'\{"BS?": ')
"""A binary value or set, as the SDK writes one (a quote inside a string is escaped, so no string matches)."""


def _wire(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"not in DynamoDB's wire format: {type(value).__name__}")


@contextmanager
def wire_format_answers() -> Iterator[None]:
    serialized = DynamoHandler.serialized

    def answer(handler: DynamoHandler, action_result: ActionResult) -> Any:
        result = action_result.result
        if isinstance(result, dict) and handler._get_action() in _WIRE_FORMAT:
            headers = {"Content-Type": _CONTENT_TYPE, **handler.response_headers}
            return 200, headers, json.dumps(result, default=_wire, separators=(",", ":"))
        return serialized(handler, action_result)

    with mock.patch.object(DynamoHandler, "serialized", answer):
        yield


@contextmanager
def wire_format_requests() -> Iterator[None]:
    parse = DynamoHandler.parse_parameters

    def read(handler: DynamoHandler, request: Any) -> None:
        body = request.data
        if handler._get_action() in _WIRE_FORMAT and isinstance(body, bytes) and not _BINARY.search(body):
            handler.params = json.loads(body) if body else {}
            return
        parse(handler, request)

    with mock.patch.object(DynamoHandler, "parse_parameters", read):
        yield


def _size(value: DynamoType) -> int:
    """``DynamoType.size``, without copying what it measures."""
    if value.is_list():
        return sum([_size(each) if type(each) is DynamoType else DynamoType(each).size() for each in value.value])
    if value.is_map():
        return sum(
            [
                bytesize(name) + (_size(each) if type(each) is DynamoType else DynamoType(each).size())
                for name, each in value.value.items()
            ]
        )
    return _measure(value)


@contextmanager
def items_measured_once() -> Iterator[None]:
    def build(item: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
        item.hash_key = hash_key
        item.range_key = range_key
        values = {name: DynamoType(value) for name, value in attrs.items()}
        if sum(bytesize(name) + value.size() for name, value in values.items()) > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        stored = LimitedSizeDict.__new__(LimitedSizeDict)
        dict.update(stored, values)  # measured above; later updates of the item are still measured
        item.attrs = stored

    with mock.patch.object(Item, "__init__", build), mock.patch.object(DynamoType, "size", _size):
        yield


@contextmanager
def streams_without_readers_record_nothing() -> Iterator[None]:
    add = StreamShard.add

    def record(shard: StreamShard, old: Item | None, new: Item | None) -> None:
        if shard.table.lambda_event_source_mappings:
            add(shard, old, new)

    with mock.patch.object(StreamShard, "add", record):
        yield


def _key_values(item: Item) -> tuple[Any, ...]:
    """An item's place in a table: its keys' values, which order items as their ``DynamoType``s do."""
    if item.range_key is None:
        return (item.hash_key.cast_value,)
    return item.hash_key.cast_value, item.range_key.cast_value


def _all_items(table: Table) -> list[Item]:
    items: list[Item] = []
    for stored in table.items.values():
        if table.range_key_attr:
            items.extend(stored.values())
        else:
            items.append(stored)
    return sorted(items, key=_key_values)


@contextmanager
def scans_sorted_by_key_values() -> Iterator[None]:
    with mock.patch.object(Table, "all_items", _all_items):
        yield


class _Unregistered(list[Any]):
    """moto's register of an item class's instances, keeping none of them."""

    def append(self, _instance: Any) -> None:
        return None


@contextmanager
def items_unregistered() -> Iterator[None]:
    with mock.patch.object(Item, "instances_tracked", _Unregistered()):
        yield


@contextmanager
def at_scale() -> Iterator[None]:
    with (
        items_unregistered(),
        wire_format_answers(),
        wire_format_requests(),
        items_measured_once(),
        streams_without_readers_record_nothing(),
        scans_sorted_by_key_values(),
    ):
        yield
