"""Tier volume over a rolling window of daily buckets, and the tier it earns.

A bucket of day ``d`` counts at moment ``T`` when ``d <= T's UTC day < d + window_days``:
an order leaves the window at the start of the UTC day ``window_days`` after it was placed.
Buckets keep items, spend and orders, so a program that switches its basis needs no backfill.

Buckets come in day order, one per day (``Buckets``): an ``Account`` keeps them so, and
``add_volume``, ``remove_volume`` and ``prune`` leave them so. The window is then a slice found by
bisection, rather than every bucket compared with its first and last day.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from operator import attrgetter, lt

from pydantic import BaseModel, ConfigDict

from loyalty.money import EXACT, exact
from loyalty.program import TierLevel, Tiers
from loyalty.types import Points


class VolumeBucket(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    day: date
    items: Points
    spend: Decimal
    orders: Points = 0
    """Standing orders placed that day (basis ``orders``); buckets written before it was kept read 0."""

    def volume(self, basis: str) -> Decimal:
        if basis == "quantity":
            return Decimal(self.items)
        if basis == "orders":
            return Decimal(self.orders)
        return self.spend


_DAY = attrgetter("day")

Buckets = Sequence["VolumeBucket"]
"""Daily volume in day order, one bucket per day (``in_day_order`` makes any buckets so)."""
_DAY_AND_VOLUME = {
    "quantity": attrgetter("day", "items"),
    "orders": attrgetter("day", "orders"),
    "spend": attrgetter("day", "spend"),
}
"""A bucket's day and its volume in each basis (``VolumeBucket.volume``, whole numbers left as ``int``), in one call."""


class TierProgress(BaseModel):
    model_config = ConfigDict(frozen=True)

    basis: str
    volume: Decimal
    next_tier: str | None
    remaining: Decimal | None


class TierReview(BaseModel):
    """The nightly evaluation of one account at one moment."""

    model_config = ConfigDict(frozen=True)

    before: str
    after: str
    volume: Decimal
    next_review_on: date | None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def in_window(bucket: VolumeBucket, moment: datetime, window_days: int) -> bool:
    today = moment.astimezone(UTC).date()
    return bucket.day <= today < bucket.day + timedelta(days=window_days)


def _window_days(moment: datetime, window_days: int) -> tuple[date, date]:
    """The first and the last UTC day whose buckets count at ``moment``: ``in_window`` for many buckets at once."""
    today = moment.astimezone(UTC).date()
    try:
        first = today - timedelta(days=window_days - 1)
    except OverflowError:  # a window reaching back before year 1 holds every day there is
        first = date.min
    return first, today


def window_start(moment: datetime, window_days: int) -> date:
    """The first UTC day whose bucket still counts at ``moment``: ``prune`` drops the buckets before it."""
    return _window_days(moment, window_days)[0]


def in_day_order(buckets: Iterable[VolumeBucket]) -> tuple[VolumeBucket, ...]:
    """``buckets`` as ``Buckets``: sorted by day, the buckets of one day added into one."""
    kept = tuple(buckets)
    days = [bucket.day for bucket in kept]
    if all(map(lt, days, days[1:])):  # each day before the next: as they are
        return kept
    merged: dict[date, VolumeBucket] = {}
    for bucket in kept:
        current = merged.get(bucket.day)
        merged[bucket.day] = (
            bucket if current is None else _updated(current, bucket.day, bucket.items, bucket.spend, bucket.orders)
        )
    return tuple(sorted(merged.values(), key=_DAY))


def _in_window(buckets: Buckets, moment: datetime, window_days: int) -> Buckets:
    first, last = _window_days(moment, window_days)
    return buckets[bisect_left(buckets, first, key=_DAY) : bisect_right(buckets, last, key=_DAY)]


def window_volume(tiers: Tiers, buckets: Buckets, moment: datetime) -> Decimal:
    window = _in_window(buckets, moment, tiers.window_days)
    if tiers.basis == "quantity":  # whole items: an int sum, converted exactly
        return Decimal(sum([bucket.items for bucket in window]))
    if tiers.basis == "orders":
        return Decimal(sum([bucket.orders for bucket in window]))
    with exact():
        return sum([bucket.spend for bucket in window], Decimal(0))


def level_for(tiers: Tiers, volume: Decimal) -> TierLevel:
    """The highest level whose threshold the volume reaches."""
    return [level for level in tiers.levels if level.threshold <= volume][-1]


def held_level(tiers: Tiers, tier: str | None, buckets: Buckets, moment: datetime) -> TierLevel:
    """The level an account holds: its recorded tier, or, when the program no longer has it, what its volume earns."""
    return tiers.level(tier) or level_for(tiers, window_volume(tiers, buckets, moment))


def higher(tiers: Tiers, first: TierLevel, second: TierLevel) -> TierLevel:
    return first if _rank(tiers, first) >= _rank(tiers, second) else second


def _rank(tiers: Tiers, level: TierLevel) -> int:
    """``tiers.rank``, by identity first: levels come from the list itself, and comparing models is slow."""
    for index, candidate in enumerate(tiers.levels):
        if candidate is level:
            return index
    return tiers.rank(level)


def add_volume(buckets: Buckets, day: date, items: int, spend: Decimal, orders: int = 1) -> tuple[VolumeBucket, ...]:
    """The buckets after an order of day ``day``: it adds its items, its spend and (one order) to the day's."""
    return _adjust(buckets, day, items, spend, orders)


def remove_volume(buckets: Buckets, day: date, items: int, spend: Decimal, orders: int = 1) -> tuple[VolumeBucket, ...]:
    """The buckets after taking volume back: a cancel takes its order back, a partial return (``orders=0``) not."""
    with exact():
        return _adjust(buckets, day, -items, -spend, -orders)


def _adjust(buckets: Buckets, day: date, items: int, spend: Decimal, orders: int) -> tuple[VolumeBucket, ...]:
    # The day's bucket replaced where it stands, or a new one put where it belongs: the order kept.
    kept = tuple(buckets)
    index = bisect_left(kept, day, key=_DAY)
    found = index < len(kept) and kept[index].day == day
    updated = _updated(kept[index] if found else None, day, items, spend, orders)
    after = index + 1 if found else index
    if _is_empty(updated):
        return kept[:index] + kept[after:]
    return (*kept[:index], updated, *kept[after:])


def _updated(current: VolumeBucket | None, day: date, items: int, spend: Decimal, orders: int) -> VolumeBucket:
    # EXACT's own method: the arithmetic of ``with exact()``, without entering it for one sum
    # A day's count never goes below 0: an order counted before buckets kept orders is taken back from nothing.
    if current is None:
        return VolumeBucket(day=day, items=items, spend=EXACT.add(Decimal(0), spend), orders=max(orders, 0))
    return VolumeBucket(
        day=day,
        items=current.items + items,
        spend=EXACT.add(current.spend, spend),
        orders=max(current.orders + orders, 0),
    )


def _is_empty(bucket: VolumeBucket) -> bool:
    return bucket.items == 0 and bucket.spend == 0 and bucket.orders == 0


def prune(buckets: Buckets, moment: datetime, window_days: int) -> tuple[VolumeBucket, ...]:
    """Drop buckets that have left the window for good (later moments only move the window on)."""
    first, _ = _window_days(moment, window_days)
    return tuple(buckets[bisect_left(buckets, first, key=_DAY) :])


def review_due_on(tiers: Tiers, level: TierLevel, buckets: Buckets, moment: datetime) -> date | None:
    """The first UTC day on which, with no new orders, the window no longer reaches ``level``.

    ``None`` when nothing can change by itself: the level is the lowest, or its volume never leaves.
    """
    if _rank(tiers, level) == 0:
        return None
    window_days = tiers.window_days
    threshold = level.threshold
    # Each bucket's day and volume read once, then walked oldest first as the window leaves them behind.
    live: list[tuple[date, int | Decimal]] = list(
        map(_DAY_AND_VOLUME[tiers.basis], _in_window(buckets, moment, window_days))
    )
    with exact():  # item and order counts stay ints, summed and compared exactly as their decimals would be
        volume = sum([leaving for _, leaving in live])
        if volume < threshold:
            return moment.astimezone(UTC).date()
        for day, leaving in live:
            volume -= leaving
            if volume < threshold:
                return day + timedelta(days=window_days)
    return None


def review(tiers: Tiers, tier: str | None, buckets: Buckets, moment: datetime) -> TierReview:
    """The nightly evaluation: the level the window ending at ``moment`` earns, down or up."""
    before = held_level(tiers, tier, buckets, moment)
    volume = window_volume(tiers, buckets, moment)
    after = level_for(tiers, volume)
    return TierReview(
        before=before.name,
        after=after.name,
        volume=volume,
        next_review_on=review_due_on(tiers, after, buckets, moment),
    )


def progress(tiers: Tiers, tier: str | None, buckets: Buckets, moment: datetime) -> TierProgress:
    level = held_level(tiers, tier, buckets, moment)
    volume = window_volume(tiers, buckets, moment)
    upcoming = tiers.levels[tiers.rank(level) + 1 :]
    if not upcoming:
        return TierProgress(basis=tiers.basis, volume=volume, next_tier=None, remaining=None)
    with exact():
        remaining = max(upcoming[0].threshold - volume, Decimal(0))
    return TierProgress(basis=tiers.basis, volume=volume, next_tier=upcoming[0].name, remaining=remaining)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
