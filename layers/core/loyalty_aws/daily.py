"""Day-bucketed, sharded partition keys of the report indexes (orders, ledger, surveys, referral codes).

An item dated on day D goes to partition ``D#<shard>``; a report over a window asks each shard of
each day, so it reads what was dated in the window and nothing else, however large the tables grow.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from loyalty_aws.due import shard

DAY_SHARD = "day_shard"
"""The partition key attribute of every report index."""


def day_shard(moment: datetime, identifier: str, shards: int) -> str:
    return f"{moment.astimezone(UTC).date().isoformat()}#{shard(identifier, shards)}"


def day_partitions(start: date, end: date, shards: int) -> Iterator[str]:
    """Every partition of the days from ``start`` to ``end``, both included."""
    day = start
    while day <= end:
        for number in range(shards):
            yield f"{day.isoformat()}#{number:02d}"
        day += timedelta(days=1)
