"""moto's TransactWriteItems without its copy of whole tables, so a long soak does not slow down as tables grow.

moto backs up every table a transaction touches (a deep copy) and puts the copy back if it fails:
fine for a test of ten items, quadratic for a soak of a hundred thousand operations. Under the
serialised backend one request runs at a time, so keeping the items the transaction touches, as
they were, and putting those back undoes the same thing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from moto.dynamodb import models
from moto.dynamodb.models import DynamoDBBackend

from sam_emulator.serial import _LOCK


class _NoCopy:
    """``copy`` as moto's module sees it: tables are kept as they are (the undo log restores them)."""

    @staticmethod
    def deepcopy(value: Any, *args: Any) -> Any:
        return value if isinstance(value, models.Table) else copy.deepcopy(value, *args)


@contextmanager
def undo_log_transactions() -> Iterator[None]:
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        with _LOCK:
            before = []
            for entry in transact_items:
                op = next(iter(entry.values()))
                table = backend.tables.get(op.get("TableName", ""))
                if table is None:
                    continue
                if "Item" in op:
                    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = op["Item"][table.range_key_attr]
                else:
                    key = op["Key"]
                current = backend.get_item(table.name, key)
                before.append((table.name, key, copy.deepcopy(current.to_json()["Attributes"]) if current else None))
            try:
                original(backend, transact_items)
            except Exception:
                for table_name, key, attributes in reversed(before):
                    if attributes is None:
                        if backend.get_item(table_name, key) is not None:
                            backend.delete_item(table_name, key)
                    else:
                        backend.put_item(table_name, attributes)
                raise

    with (
        mock.patch.object(models, "copy", _NoCopy),
        mock.patch.object(DynamoDBBackend, "transact_write_items", transact_write_items),
    ):
        yield
