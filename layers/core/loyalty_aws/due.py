"""Keys of the sparse, sharded due-work indexes (docs/data-model.md, "Indexes")."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta


def shard(identifier: str, shards: int) -> str:
    """A stable shard for an id, spread evenly: the same id always lands in the same shard."""
    digest = hashlib.sha256(identifier.encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % shards:02d}"


def timestamp(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``, to the second or finer: string order is time order."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def day_key(day: date, identifier: str) -> str:
    return f"{day.isoformat()}#{identifier}"


def moment_key(moment: datetime, identifier: str) -> str:
    return f"{timestamp(moment)}#{identifier}"


def before_day_after(moment: datetime) -> str:
    """The exclusive upper bound that selects every key due on or before ``moment``'s UTC day."""
    return (moment.astimezone(UTC).date() + timedelta(days=1)).isoformat()
