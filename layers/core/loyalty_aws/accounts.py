"""The account item (docs/data-model.md): the core's ``Account`` plus profile, version and due keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from loyalty.account import Account, PartnerTotals
from loyalty.buyers import BuyerTotals
from loyalty.membership import Membership
from loyalty.profile import Profile
from loyalty.types import parse_instant
from loyalty.wallet import Wallet
from loyalty_aws import stats
from loyalty_aws.account_rows import buckets_from_value, buckets_value, lots_from_value, lots_value
from loyalty_aws.codec import from_item, to_item
from loyalty_aws.due import day_key, moment_key, shard, timestamp
from loyalty_aws.settings import Settings
from loyalty_aws.transactions import Transaction
from loyalty_service.ports import AccountChange, AccountRecord

NO_TOTALS = PartnerTotals()


def parse_time(text: str | None) -> datetime | None:
    return parse_instant(text) if text else None


def membership_from_value(value: Mapping[str, Any] | None) -> Membership | None:
    if not value:
        return None
    return Membership(
        member=bool(value["member"]), since=parse_instant(value["since"]), until=parse_time(value.get("until"))
    )


def membership_value(membership: Membership | None) -> dict[str, Any] | None:
    """``{member, since, until}`` as the ``membership.changed`` event reads it (``until`` null: no end)."""
    if membership is None:
        return None
    return {
        "member": membership.member,
        "since": timestamp(membership.since),
        "until": timestamp(membership.until) if membership.until else None,
    }


def account_from_item(item: Mapping[str, Any] | None, customer_id: str) -> AccountRecord:
    """The stored account, or a new, empty one for an id never seen (an order creates it)."""
    if not item:
        return AccountRecord(account=Account(customer_id=customer_id))
    values = from_item(item)
    account = Account(
        customer_id=values["customer_id"],
        segment=values.get("segment"),
        tier=values.get("tier"),
        buckets=buckets_from_value(values.get("buckets")),
        lifetime_spend=Decimal(values.get("lifetime_spend", 0)),
        wallet=Wallet(lots=lots_from_value(values.get("lots")), deficit=values.get("deficit", 0)),
        first_order_at=parse_time(values.get("first_order_at")),
        anniversaries_rewarded=values.get("anniversaries_rewarded", 0),
        milestones_reached=frozenset(values.get("milestones_reached", [])),
        buyers=tuple(_buyer_from(buyer) for buyer in values.get("buyers", ())),
        membership=membership_from_value(values.get("membership")),
        partner=values.get("partner", False),
        partner_totals=PartnerTotals.model_validate(values.get("partner_totals") or {}),
    )
    profile = values.get("profile")
    review = values.get("tier_review_key")
    activity = values.get("digest_key")
    return AccountRecord(
        account=account,
        version=values["version"],
        profile=Profile.model_validate(profile) if profile else None,
        referral_code=values.get("referral_code"),
        last_event_at=parse_time(values.get("last_event_at")),
        tier_review_on=date.fromisoformat(review.split("#", 1)[0]) if review else None,
        activity_since=parse_time(activity.split("#", 1)[0]) if activity else None,
        last_digest_at=parse_time(values.get("last_digest_at")),
        erased=values.get("erased", False),
        cancels_to_tell=tuple(values.get("cancels_to_tell", ())),
        standing_orders=values.get("standing_orders", 0),
    )


def item_from_change(change: AccountChange, shards: int) -> dict[str, Any]:
    """The whole account item after a change, with its version moved on by one."""
    before = change.before
    account = change.account
    activity = _earliest(before.activity_since, change.activity_at)
    last_event = _latest(before.last_event_at, change.event_at)
    return account_item(
        account,
        version=before.version + 1,
        profile=before.profile,
        referral_code=before.referral_code,
        last_event_at=last_event,
        tier_review_on=change.tier_review_on,
        activity_since=activity,
        last_digest_at=before.last_digest_at,
        erased=before.erased,
        cancels_to_tell=(*before.cancels_to_tell, *([change.cancelled_order] if change.cancelled_order else [])),
        standing_orders=before.standing_orders + change.standing_orders_added,
        shards=shards,
    )


def item_from_record(record: AccountRecord, shards: int, *, version: int) -> dict[str, Any]:
    return account_item(
        record.account,
        version=version,
        profile=record.profile,
        referral_code=record.referral_code,
        last_event_at=record.last_event_at,
        tier_review_on=record.tier_review_on,
        activity_since=record.activity_since,
        last_digest_at=record.last_digest_at,
        erased=record.erased,
        cancels_to_tell=record.cancels_to_tell,
        standing_orders=record.standing_orders,
        shards=shards,
    )


def account_item(
    account: Account,
    *,
    version: int,
    profile: Profile | None,
    referral_code: str | None,
    last_event_at: datetime | None,
    tier_review_on: date | None,
    activity_since: datetime | None,
    last_digest_at: datetime | None,
    erased: bool,
    shards: int,
    cancels_to_tell: tuple[str, ...] = (),
    standing_orders: int = 0,
) -> dict[str, Any]:
    customer_id = account.customer_id
    account_shard = shard(customer_id, shards)
    next_expiry = account.wallet.next_end()
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "version": version,
        "profile": profile.model_dump(mode="json", exclude_none=True) if profile else None,
        "segment": account.segment,
        "tier": account.tier,
        "buckets": buckets_value(account.buckets),
        "lifetime_spend": account.lifetime_spend,
        "lots": lots_value(account.wallet.lots),
        "deficit": account.wallet.deficit,
        "balance": account.balance,
        "first_order_at": timestamp(account.first_order_at) if account.first_order_at else None,
        "anniversaries_rewarded": account.anniversaries_rewarded,
        "milestones_reached": sorted(account.milestones_reached),
        "buyers": [buyer_item(buyer) for buyer in account.buyers] or None,
        "membership": membership_value(account.membership),
        "partner": account.partner or None,
        "partner_totals": account.partner_totals.model_dump() if account.partner_totals != NO_TOTALS else None,
        "referral_code": referral_code,
        "last_event_at": timestamp(last_event_at) if last_event_at else None,
        "last_digest_at": timestamp(last_digest_at) if last_digest_at else None,
        "erased": erased or None,
        "cancels_to_tell": list(cancels_to_tell) or None,
        "standing_orders": standing_orders,
    }
    if tier_review_on is not None:
        values |= {"tier_review_shard": account_shard, "tier_review_key": day_key(tier_review_on, customer_id)}
    if next_expiry is not None:
        values |= {"lot_expiry_shard": account_shard, "lot_expiry_key": moment_key(next_expiry, customer_id)}
    if activity_since is not None:
        values |= {"digest_shard": account_shard, "digest_key": moment_key(activity_since, customer_id)}
    return to_item(values)


def put_account(write: Transaction, config: Settings, label: str, change: AccountChange) -> None:
    """The whole account after ``change``, conditioned on the version read; the report counters with it."""
    write.put(
        label, config.accounts_table, item_from_change(change, config.due_shards), **version_condition(change.before)
    )
    stats.count_change(write, config, change)


def version_condition(before: AccountRecord) -> dict[str, Any]:
    """The condition that makes a whole-item write safe: nobody wrote the account since it was read."""
    if not before.exists:
        return {"ConditionExpression": "attribute_not_exists(customer_id)"}
    return {
        "ConditionExpression": "version = :read",
        "ExpressionAttributeValues": {":read": {"N": str(before.version)}},
    }


def buyer_item(buyer: BuyerTotals) -> dict[str, Any]:
    """One buyer's totals; ``buyer_id`` left out for the orders without a buyer (a list, so no key is needed)."""
    return {
        "buyer_id": buyer.buyer_id,
        "orders": buyer.orders,
        "revenue": buyer.revenue,
        "points_earned": buyer.points_earned,
        "points_redeemed": buyer.points_redeemed,
        "last_order_at": timestamp(buyer.last_order_at) if buyer.last_order_at else None,
    }


def _buyer_from(stored: Mapping[str, Any]) -> BuyerTotals:
    return BuyerTotals(
        buyer_id=stored.get("buyer_id"),
        orders=stored.get("orders", 0),
        revenue=Decimal(stored.get("revenue", 0)),
        points_earned=stored.get("points_earned", 0),
        points_redeemed=stored.get("points_redeemed", 0),
        last_order_at=parse_time(stored.get("last_order_at")),
    )


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    return min((moment for moment in (first, second) if moment is not None), default=None)


def _latest(first: datetime | None, second: datetime | None) -> datetime | None:
    return max((moment for moment in (first, second) if moment is not None), default=None)
