"""Keys of the sparse, sharded due-work indexes (docs/data-model.md, "Indexes")."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta


def shard(identifier: str, shards: int) -> str:
    """A stable shard for an id, spread evenly: the same id always lands in the same shard."""
    digest = hashlib.sha256(identifier.encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % shards:02d}"


def timestamp(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``, as the API shows times: ``2026-11-20T10:15:00Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sortable(moment: datetime) -> str:
    """A fixed-width UTC time for keys, so that string order is time order (microseconds always present)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def day_key(day: date, identifier: str) -> str:
    return f"{day.isoformat()}#{identifier}"


def moment_key(moment: datetime, identifier: str) -> str:
    return f"{sortable(moment)}#{identifier}"


def up_to(moment: datetime) -> str:
    """The exclusive upper bound that selects every ``moment_key`` at or before ``moment`` ('$' follows '#')."""
    return f"{sortable(moment)}$"


def before_day_after(moment: datetime) -> str:
    """The exclusive upper bound that selects every key due on or before ``moment``'s UTC day."""
    return (moment.astimezone(UTC).date() + timedelta(days=1)).isoformat()
