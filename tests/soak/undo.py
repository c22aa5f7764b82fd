"""moto's TransactWriteItems without its copy of whole tables, so a long soak does not slow down as tables grow.

moto backs up every table a transaction touches (a deep copy) and puts the copy back if it fails:
fine for a test of ten items, quadratic for a soak of a hundred thousand operations. Under the
serialised backend one request runs at a time, so keeping the items the transaction touches, as
they were, and putting those back undoes the same thing: DynamoDB cancels a transaction whole, and
no other request can have seen or changed those items in between.

A Put, a Delete or a ConditionCheck never changes the stored item in place (moto stores a new item
or drops the old one), so the item itself is kept, not a copy of it; only an Update changes the item
it finds, so that one is copied. Putting the items back goes straight to the table's storage, with no
condition and no stream record: a cancelled transaction writes nothing to a stream either.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.dynamodb import models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from sam_emulator.serial import _LOCK


class _NoCopy:
    """``copy`` as moto's module sees it: tables are kept as they are (the undo log restores them)."""

    @staticmethod
    def deepcopy(value: Any, *args: Any) -> Any:
        return value if isinstance(value, models.Table) else copy.deepcopy(value, *args)


def _touched(backend: DynamoDBBackend, entry: dict[str, Any]) -> tuple[Any, DynamoType, DynamoType | None] | None:
    """The table and the stored key of the item one entry of a transaction writes or checks."""
    op = next(iter(entry.values()))
    table = backend.tables.get(op.get("TableName", ""))
    if table is None:
        return None
    key = op["Item"] if "Item" in op else op["Key"]
    if table.hash_key_attr not in key:
        return None
    range_key = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in key:
            return None
        range_key = DynamoType(key[table.range_key_attr])
    return table, DynamoType(key[table.hash_key_attr]), range_key


def _restore(table: Any, hash_key: DynamoType, range_key: DynamoType | None, item: Item | None) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    if item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
    else:
        table.items[hash_key][range_key] = item


@contextmanager
def undo_log_transactions() -> Iterator[None]:
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with _LOCK:
            before = []
            for entry in transact_items:
                touched = _touched(backend, entry)
                if touched is None:
                    continue  # moto refuses the entry before it writes anything
                table, hash_key, range_key = touched
                current = table.get_item(hash_key, range_key)
                kept = copy.deepcopy(current) if "Update" in entry and current is not None else current
                before.append((table, hash_key, range_key, kept))
            try:
                original(backend, transact_items)
            except Exception:
                for table, hash_key, range_key, kept in reversed(before):
                    _restore(table, hash_key, range_key, kept)
                raise

    with (
        mock.patch.object(models, "copy", _NoCopy),
        mock.patch.object(DynamoDBBackend, "transact_write_items", transact_write_items),
    ):
        yield
