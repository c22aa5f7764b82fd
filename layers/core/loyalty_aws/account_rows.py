"""The account item's two growing attributes, lots and volume buckets, each stored as one JSON text of rows.

Every request reads and writes the whole account item, and these two grow with an account's history
(up to 500 lots; a bucket per active day of the tier window). As maps of maps they would be thousands
of typed attributes that the SDK validates, converts and parses on each request, and that DynamoDB
bills by their names too; as rows they are one string, a JSON parse and a dump: on the soak's stack a
commit to an account that ordered on each of 250 days takes about half the time it took with its
buckets as a map (docs/data-model.md). Items written before hold the maps; both forms are read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from loyalty.tiers import VolumeBucket
from loyalty.types import parse_instant
from loyalty.wallet import Lot
from loyalty_aws.due import timestamp

LOT_FIELDS = ("lot_id", "order_id", "earned_at", "expires_at", "points", "remaining")
"""A stored lot's values, in the order of its row in ``lots``."""

BUCKET_FIELDS = ("day", "items", "spend", "orders")
"""A stored volume bucket's values, in the order of its row in ``buckets``; ``spend`` a decimal text ("812.5")."""

StoredRows = str | Mapping[str, Any] | None


def lots_value(lots: Iterable[Lot]) -> str:
    """The lots as rows of ``LOT_FIELDS``, oldest first (``expires_at`` null: never)."""
    rows = [
        [lot.lot_id, lot.order_id, timestamp(lot.earned_at), timestamp(lot.expires_at) if lot.expires_at else None,
         lot.points, lot.remaining]
        for lot in sorted(lots, key=lambda lot: (lot.earned_at, lot.lot_id))
    ]  # fmt: skip
    return _text(rows)


def lots_from_value(value: StoredRows) -> tuple[Lot, ...]:
    """The stored lots: the rows of ``lots_value``, or the map by lot id that items written before it hold."""
    rows = _rows(
        value,
        lambda lot_id, lot: [
            lot_id,
            lot["order_id"],
            lot["earned_at"],
            lot.get("expires_at"),
            lot["points"],
            lot["remaining"],
        ],
    )
    return tuple(
        Lot(
            lot_id=lot_id,
            order_id=order_id,
            earned_at=parse_instant(earned_at),
            expires_at=parse_instant(expires_at) if expires_at else None,
            points=points,
            remaining=remaining,
        )
        for lot_id, order_id, earned_at, expires_at, points, remaining in rows
    )


def buckets_value(buckets: Iterable[VolumeBucket]) -> str:
    """The buckets as rows of ``BUCKET_FIELDS``, oldest day first; the spend as text, so it stays exact."""
    rows = [
        [bucket.day.isoformat(), bucket.items, format(bucket.spend.normalize(), "f"), bucket.orders]
        for bucket in sorted(buckets, key=lambda bucket: bucket.day)
    ]
    return _text(rows)


def buckets_from_value(value: StoredRows) -> tuple[VolumeBucket, ...]:
    """The stored buckets: the rows of ``buckets_value``, or the map by day that items written before it hold.

    A bucket of that map without ``orders`` was written before standing orders were counted: 0 orders.
    """
    rows = _rows(value, lambda day, bucket: [day, bucket["items"], bucket["spend"], bucket.get("orders", 0)])
    return tuple(
        VolumeBucket(day=date.fromisoformat(day), items=items, spend=Decimal(spend), orders=orders)
        for day, items, spend, orders in rows
    )


def _rows(value: StoredRows, row_of_entry: Callable[[str, Mapping[str, Any]], list[Any]]) -> list[list[Any]]:
    """The stored rows: parsed from the JSON text, or made from the map by key of an item written before it."""
    if not value:
        return []
    if isinstance(value, str):
        rows: list[list[Any]] = json.loads(value)
        return rows
    return [row_of_entry(key, entry) for key, entry in sorted(value.items())]


def _text(rows: list[list[Any]]) -> str:
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)
