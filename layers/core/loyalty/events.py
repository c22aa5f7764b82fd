"""Domain events for other systems: what one stored change of an item means, as EventBridge ``detail``s.

A ``Change`` is one item's write as a DynamoDB stream reports it (the table's role, the operation,
the images before and after, in plain Python values). ``events_of`` turns it into the events other
systems care about, and nothing else: a write that changes no fact of interest (a code being used,
a GDPR erase, an account's lots moving) yields none.

``event_id`` is derived from the change itself (the table, the item's key and what makes this write
the one it is: the new status, the return, the account version), never from the stream's record id
or sequence number: a redelivered record, a record read again after a failed batch and a replayed
stream all give the same ids, so consumers de-duplicate on it.

Personal data never leaves: no emails, names or buyer ids (none before a GDPR erase either), no
``unit_cost``, no adjustment reasons (free text an admin typed), no admin key labels.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from loyalty.adjustments import AdjustmentRecord
from loyalty.claims import ClaimRecord
from loyalty.commit import OrderRecord
from loyalty.types import Instant

SOURCE = "loyalty"
"""The ``source`` of every event the engine publishes."""

TableRole = Literal["orders", "ledger", "codes", "claims", "history", "accounts"]
Operation = Literal["INSERT", "MODIFY", "REMOVE"]
EventType = Literal[
    "order.committed",
    "order.cancelled",
    "order.returned",
    "points.adjusted",
    "points.expired",
    "tier.changed",
    "code.issued",
    "membership.changed",
    "reward.claimed",
    "reward.fulfilled",
    "reward.cancelled",
]

_NAMESPACE = "loyalty-events-v1"
"""Fixed forever: part of every id's digest, so the same change has the same id in every deployment."""


class Change(BaseModel):
    """One item write as a stream delivers it; images are plain values (``None`` when the view omits them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: TableRole
    operation: Operation
    keys: dict[str, Any]
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    recorded_at: Instant
    """When DynamoDB recorded the write (the stream's approximate creation time): the same on every delivery."""


# ---------------------------------------------------------------------- details


class Detail(BaseModel):
    """What every event's ``detail`` carries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = Field(description="Stable across redeliveries of the same change: de-duplicate on it.")
    customer_id: str = Field(description="The company account the change belongs to.")
    occurred_at: Instant = Field(description="When the change happened in the business's time (UTC).")


class BreakdownPoints(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    points: int


class OrderCommitted(Detail):
    order_id: str
    points: int = Field(description="Points the order earned.")
    points_redeemed: int
    breakdown: list[BreakdownPoints]
    tier_before: str | None
    tier_after: str | None
    program_version: int | None = Field(description="The program version that scored the order.")
    issued_code: str | None = Field(description="The next-purchase code the order issued, if any.")
    partner_id: str | None = Field(
        default=None, description="The partner account that brought the order (its credit is in its own ledger)."
    )
    partner_points: int = Field(default=0, description="Points the order credited the partner.")


class OrderCancelled(Detail):
    order_id: str
    points_reversed: int | None = Field(description="Earned points taken back by the cancel.")
    balance: int | None = Field(description="The account's balance right after the cancel.")


class OrderReturned(Detail):
    order_id: str
    return_id: str
    points_reversed: int
    points_restored: int
    balance: int | None


class PointsAdjusted(Detail):
    adjustment_id: str
    points: int = Field(description="Signed: added (> 0) or removed (< 0) by an admin.")
    balance: int = Field(description="The account's balance right after the adjustment.")


class PointsExpired(Detail):
    points: int = Field(description="Points that expired (positive).", ge=0)
    lot_id: str | None = Field(description="The lot (the order or operation that earned them) they came from.")


class TierChanged(Detail):
    tier_before: str
    tier_after: str
    reason: Literal["order", "review"]
    order_id: str | None = Field(description="The order that moved the tier (reason order).")
    volume: int | None = Field(description="The rolling-window volume the nightly review judged (reason review).")


class CodeIssued(Detail):
    code: str
    kind: Literal["next_purchase", "referral_reward", "referral"]
    percent: str | None = Field(description="The discount in percent (discount codes).")
    expires_at: Instant | None
    order_id: str | None = Field(description="The order that earned the code, if one did.")


class MembershipChanged(Detail):
    member: bool
    since: Instant | None
    until: Instant | None


class RewardClaimed(Detail):
    claim_id: str
    reward_id: str
    points: int


class RewardFulfilled(Detail):
    claim_id: str
    reward_id: str


class RewardCancelled(Detail):
    claim_id: str
    reward_id: str
    points_returned: int
    balance: int | None


DETAILS: dict[EventType, type[Detail]] = {
    "order.committed": OrderCommitted,
    "order.cancelled": OrderCancelled,
    "order.returned": OrderReturned,
    "points.adjusted": PointsAdjusted,
    "points.expired": PointsExpired,
    "tier.changed": TierChanged,
    "code.issued": CodeIssued,
    "membership.changed": MembershipChanged,
    "reward.claimed": RewardClaimed,
    "reward.fulfilled": RewardFulfilled,
    "reward.cancelled": RewardCancelled,
}
"""Every event type with its ``detail`` model: what ``docs/events.md`` documents."""


class Event(BaseModel):
    """One event for the bus: ``source`` is always ``loyalty``; ``detail_type`` is EventBridge's ``detail-type``."""

    model_config = ConfigDict(frozen=True)

    detail_type: EventType
    detail: Annotated[Detail, Field(description="One of the models of DETAILS, by detail_type.")]

    def detail_json(self) -> str:
        return self.detail.model_dump_json()


def event_id(kind: EventType, table: TableRole, *parts: object) -> str:
    """A name-based id, shaped as a UUID: SHA-256 of the event type, the table and what identifies the change."""
    name = "|".join([_NAMESPACE, kind, table, *(str(part) for part in parts)])
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


# ---------------------------------------------------------------------- mapping


def events_of(change: Change) -> list[Event]:
    """The events one stored change means (often none)."""
    return _MAPPERS[change.table](change)


def _orders(change: Change) -> list[Event]:
    if change.new is None or "record" not in change.new:
        return []
    raw: dict[str, Any] = json.loads(change.new["record"])
    if raw.get("imported"):
        return []  # history imports earn nothing and are no news for other systems
    record = OrderRecord.model_validate(_known(OrderRecord, raw))
    old = json.loads(change.old["record"]) if change.old and "record" in change.old else None
    events: list[Event] = []
    if old is None and record.status == "committed":
        events.append(_committed(record))
    if record.status == "cancelled" and (old is None or old.get("status") != "cancelled"):
        events.append(_cancelled(record, change.recorded_at))
    events += _returned(record, raw, old, change.recorded_at)
    return events


def _known(model: type[BaseModel], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the model knows: a record written by a newer release still maps (its new facts aside)."""
    return {name: value for name, value in raw.items() if name in model.model_fields}


def _committed(record: OrderRecord) -> Event:
    decision = record.decision
    detail = OrderCommitted(
        event_id=event_id("order.committed", "orders", record.order_id),
        customer_id=record.customer_id,
        occurred_at=record.placed_at,
        order_id=record.order_id,
        points=decision.points,
        points_redeemed=decision.points_redeemed,
        breakdown=[BreakdownPoints(rule=line.rule, points=line.points) for line in decision.breakdown],
        tier_before=decision.tier.before if decision.tier else None,
        tier_after=decision.tier.after if decision.tier else None,
        program_version=decision.program_version,
        issued_code=record.issued_code,
        partner_id=record.partner.partner_id if record.partner else None,
        partner_points=record.partner.points if record.partner else 0,
    )
    return Event(detail_type="order.committed", detail=detail)


def _cancelled(record: OrderRecord, recorded_at: datetime) -> Event:
    detail = OrderCancelled(
        event_id=event_id("order.cancelled", "orders", record.order_id),
        customer_id=record.customer_id,
        occurred_at=recorded_at,
        order_id=record.order_id,
        points_reversed=record.points_reversed,
        balance=record.balance_after_cancel,
    )
    return Event(detail_type="order.cancelled", detail=detail)


def _returned(
    record: OrderRecord, raw: Mapping[str, Any], old: Mapping[str, Any] | None, recorded_at: datetime
) -> list[Event]:
    """One event per return the write added to the record's ``returns`` (the returns feature's list)."""
    known = {item.get("return_id") for item in (old or {}).get("returns") or []}
    events = []
    for item in raw.get("returns") or []:
        if item.get("return_id") in known:
            continue
        detail = OrderReturned(
            event_id=event_id("order.returned", "orders", record.order_id, item["return_id"]),
            customer_id=record.customer_id,
            occurred_at=item.get("returned_at") or recorded_at,
            order_id=record.order_id,
            return_id=item["return_id"],
            points_reversed=item.get("points_reversed", 0),
            points_restored=item.get("points_restored", 0),
            balance=item.get("balance"),
        )
        events.append(Event(detail_type="order.returned", detail=detail))
    return events


def _ledger(change: Change) -> list[Event]:
    entry = change.new
    if change.operation != "INSERT" or entry is None or entry.get("kind") != "expire":
        return []  # adjustments are told from their record (one per adjustment), the rest by their operation
    detail = PointsExpired(
        event_id=event_id("points.expired", "ledger", entry["customer_id"], entry["entry_key"]),
        customer_id=entry["customer_id"],
        occurred_at=entry["at"],
        points=-int(entry["points"]),
        lot_id=entry.get("lot_id"),
    )
    return [Event(detail_type="points.expired", detail=detail)]


def _codes(change: Change) -> list[Event]:
    code = change.new
    if change.operation != "INSERT" or code is None:
        return []
    percent = code.get("percent")
    detail = CodeIssued(
        event_id=event_id("code.issued", "codes", code["code"]),
        customer_id=code["customer_id"],
        occurred_at=code.get("issued_at") or change.recorded_at,
        code=code["code"],
        kind=code["kind"],
        percent=str(percent) if percent is not None else None,
        expires_at=code.get("expires_at"),
        order_id=code.get("issued_by_order"),
    )
    return [Event(detail_type="code.issued", detail=detail)]


def _claims(change: Change) -> list[Event]:
    if change.new is None or "record" not in change.new:
        return []
    claim = ClaimRecord.model_validate_json(change.new["record"])
    before = change.old.get("status") if change.old else None
    if claim.status == before:
        return []
    common = {"customer_id": claim.customer_id, "claim_id": claim.claim_id, "reward_id": claim.reward_id}
    if claim.status == "requested":
        claimed = RewardClaimed(
            event_id=event_id("reward.claimed", "claims", claim.claim_id),
            occurred_at=claim.requested_at,
            points=claim.points,
            **common,
        )
        return [Event(detail_type="reward.claimed", detail=claimed)]
    if claim.status == "fulfilled":
        fulfilled = RewardFulfilled(
            event_id=event_id("reward.fulfilled", "claims", claim.claim_id),
            occurred_at=claim.fulfilled_at or change.recorded_at,
            **common,
        )
        return [Event(detail_type="reward.fulfilled", detail=fulfilled)]
    cancelled = RewardCancelled(
        event_id=event_id("reward.cancelled", "claims", claim.claim_id),
        occurred_at=claim.cancelled_at or change.recorded_at,
        points_returned=sum(claim.taken_from.values()),
        balance=claim.balance_after_cancel,
        **common,
    )
    return [Event(detail_type="reward.cancelled", detail=cancelled)]


def _history(change: Change) -> list[Event]:
    item = change.new
    if change.operation != "INSERT" or item is None:
        return []
    if item.get("kind") == "tier_change":
        return [_tier_changed(item)]
    if str(item.get("event_key", "")).startswith("adjustment#") and "record" in item:
        return [_adjusted(AdjustmentRecord.model_validate_json(item["record"]))]
    return []


def _tier_changed(item: Mapping[str, Any]) -> Event:
    key = str(item["event_key"])
    by_order = key.count("#") >= 2  # tier#<time>#<order_id> on an order, tier#<day> nightly
    detail = TierChanged(
        event_id=event_id("tier.changed", "history", item["customer_id"], key),
        customer_id=item["customer_id"],
        occurred_at=item["at"],
        tier_before=item["before"],
        tier_after=item["after"],
        reason="order" if by_order else "review",
        order_id=key.split("#", 2)[2] if by_order else None,
        volume=item.get("volume"),
    )
    return Event(detail_type="tier.changed", detail=detail)


def _adjusted(record: AdjustmentRecord) -> Event:
    detail = PointsAdjusted(
        event_id=event_id("points.adjusted", "history", record.customer_id, record.adjustment_id),
        customer_id=record.customer_id,
        occurred_at=record.at,
        adjustment_id=record.adjustment_id,
        points=record.points,
        balance=record.balance,
    )
    return Event(detail_type="points.adjusted", detail=detail)


def _accounts(change: Change) -> list[Event]:
    """``membership.changed`` when the account's ``membership`` (``{member, since, until}``) is new or differs."""
    new = (change.new or {}).get("membership")
    old = (change.old or {}).get("membership")
    if not isinstance(new, Mapping) or new == old:
        return []
    detail = MembershipChanged(
        event_id=event_id(
            "membership.changed", "accounts", change.keys["customer_id"], (change.new or {}).get("version")
        ),
        customer_id=change.keys["customer_id"],
        occurred_at=new.get("changed_at") or change.recorded_at,
        member=bool(new.get("member")),
        since=new.get("since"),
        until=new.get("until"),
    )
    return [Event(detail_type="membership.changed", detail=detail)]


_MAPPERS: dict[TableRole, Callable[[Change], list[Event]]] = {
    "orders": _orders,
    "ledger": _ledger,
    "codes": _codes,
    "claims": _claims,
    "history": _history,
    "accounts": _accounts,
}
