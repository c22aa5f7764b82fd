"""The account item's lots and buckets: JSON rows read back as they were; the maps of items written before too."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from boto3.dynamodb.types import TypeSerializer
from hypothesis import given

from loyalty.account import Account
from loyalty.tiers import VolumeBucket
from loyalty.wallet import Lot, Wallet
from loyalty_aws.account_rows import BUCKET_FIELDS, LOT_FIELDS, buckets_value, lots_value
from loyalty_aws.accounts import account_from_item, item_from_record
from loyalty_service.ports import AccountRecord
from tests.unit import strategies

EARNED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def lots() -> tuple[Lot, ...]:
    return (
        Lot.earned("SO-2", "SO-2", EARNED + timedelta(days=1), 40, 365),
        Lot.earned("adjust#A-1", "A-1", EARNED, 25, None),
        Lot.earned("SO-3#referral", "SO-3", EARNED, 300, 30).model_copy(update={"remaining": 120}),
    )


def test_the_lots_round_trip_through_the_stored_item() -> None:
    record = AccountRecord(account=Account(customer_id="Müller", wallet=Wallet(lots=lots(), deficit=0)), version=4)

    item = item_from_record(record, 8, version=5)
    read = account_from_item(item, "Müller")

    assert read.account.wallet.oldest_first() == Wallet(lots=lots()).oldest_first()
    assert read.account.balance == 40 + 25 + 120


def test_the_lots_are_stored_as_rows_oldest_first() -> None:
    rows = json.loads(lots_value(lots()))

    assert [dict(zip(LOT_FIELDS, row, strict=True))["lot_id"] for row in rows] == [
        "SO-3#referral",
        "adjust#A-1",
        "SO-2",
    ]
    assert rows[1] == ["adjust#A-1", "A-1", "2026-03-01T09:30:00Z", None, 25, 25]


def test_an_item_written_with_the_lots_as_a_map_reads_the_same() -> None:
    record = AccountRecord(account=Account(customer_id="ACME", wallet=Wallet(lots=lots())), version=1)
    item = item_from_record(record, 8, version=2)
    earlier = {
        lot.lot_id: {
            "order_id": lot.order_id,
            "earned_at": lot.earned_at.isoformat().replace("+00:00", "Z"),
            "expires_at": lot.expires_at.isoformat().replace("+00:00", "Z") if lot.expires_at else None,
            "points": lot.points,
            "remaining": lot.remaining,
        }
        for lot in lots()
    }
    item["lots"] = TypeSerializer().serialize(earlier)

    assert account_from_item(item, "ACME").account.wallet.oldest_first() == Wallet(lots=lots()).oldest_first()


def buckets() -> tuple[VolumeBucket, ...]:
    return (
        VolumeBucket(day=date(2026, 11, 2), items=20, spend=Decimal("812.50"), orders=2),
        VolumeBucket(day=date(2026, 10, 30), items=10, spend=Decimal("400.00"), orders=0),
        VolumeBucket(day=date(2026, 11, 3), items=1, spend=Decimal("0.05"), orders=1),
    )


def by_day(read: tuple[VolumeBucket, ...]) -> list[VolumeBucket]:
    return sorted(read, key=lambda bucket: bucket.day)


def test_the_buckets_round_trip_through_the_stored_item() -> None:
    record = AccountRecord(account=Account(customer_id="ACME", buckets=buckets()), version=1)

    read = account_from_item(item_from_record(record, 8, version=2), "ACME")

    assert by_day(read.account.buckets) == by_day(buckets())


def test_the_buckets_are_stored_as_rows_oldest_day_first_with_exact_spend() -> None:
    rows = json.loads(buckets_value(buckets()))

    assert [dict(zip(BUCKET_FIELDS, row, strict=True))["day"] for row in rows] == [
        "2026-10-30",
        "2026-11-02",
        "2026-11-03",
    ]
    assert rows == [["2026-10-30", 10, "400", 0], ["2026-11-02", 20, "812.5", 2], ["2026-11-03", 1, "0.05", 1]]


def test_an_item_written_with_the_buckets_as_a_map_reads_the_same() -> None:
    record = AccountRecord(account=Account(customer_id="ACME", buckets=buckets()), version=1)
    item = item_from_record(record, 8, version=2)
    earlier = {
        "2026-10-30": {"items": Decimal(10), "spend": Decimal(400)},  # before standing orders were counted
        "2026-11-02": {"items": Decimal(20), "spend": Decimal("812.5"), "orders": Decimal(2)},
        "2026-11-03": {"items": Decimal(1), "spend": Decimal("0.05"), "orders": Decimal(1)},
    }
    item["buckets"] = TypeSerializer().serialize(earlier)

    assert by_day(account_from_item(item, "ACME").account.buckets) == by_day(buckets())


@given(buckets=strategies.buckets(strategies.EPOCH.date()), wallet=strategies.wallets(strategies.EPOCH))
def test_any_buckets_and_lots_read_back_as_they_were_written(buckets: tuple[VolumeBucket, ...], wallet: Wallet) -> None:
    account = Account(customer_id="ACME", buckets=buckets, wallet=wallet)

    read = account_from_item(item_from_record(AccountRecord(account=account), 8, version=1), "ACME").account

    assert by_day(read.buckets) == by_day(buckets)
    assert read.wallet.oldest_first() == wallet.oldest_first()
    assert (read.wallet.deficit, read.balance) == (wallet.deficit, account.balance)
