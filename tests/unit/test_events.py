"""Stored changes -> domain events (the core's mapping) and the publisher's retries and failures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from loyalty.account import Account
from loyalty.claims import ClaimRecord
from loyalty.commit import commit_order
from loyalty.events import Change, Event, events_of
from loyalty_service.events import EventPublisher
from tests.unit.builders import make_account, make_order, make_program, minting

AT = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)


def change(table: Any, new: dict[str, Any] | None, old: dict[str, Any] | None = None, **keys: Any) -> Change:
    operation = "INSERT" if old is None else "MODIFY" if new is not None else "REMOVE"
    return Change(table=table, operation=operation, keys=keys, old=old, new=new, recorded_at=AT)


def claim_image(status: str) -> dict[str, Any]:
    record = ClaimRecord(
        claim_id="CL-1",
        customer_id="ACME",
        reward_id="training-day",
        reward_name="Training day",
        buyer_id="jane@acme.example",
        points=1500,
        status=status,  # type: ignore[arg-type]
        requested_at=AT,
        fingerprint="f",
        balance=500,
        taken_from={"SO-1": 1500},
        fulfilled_at=AT if status == "fulfilled" else None,
        cancelled_at=AT if status == "cancelled" else None,
        balance_after_cancel=2000 if status == "cancelled" else None,
    )
    return {"claim_id": "CL-1", "status": status, "record": record.model_dump_json()}


def test_an_expire_entry_is_points_expired_with_positive_points() -> None:
    entry = {"customer_id": "ACME", "entry_key": "k1", "kind": "expire", "points": -700, "at": AT, "lot_id": "SO-1"}

    (event,) = events_of(change("ledger", entry))

    assert event.detail_type == "points.expired"
    assert event.detail.model_dump()["points"] == 700


def test_earn_entries_are_told_by_their_order_not_the_ledger() -> None:
    entry = {"customer_id": "ACME", "entry_key": "k1", "kind": "earn", "points": 700, "at": AT}

    assert events_of(change("ledger", entry)) == []


def test_a_partner_credit_is_an_ordinary_earn_entry_and_the_order_names_the_partner_not_the_buyer() -> None:
    # GIVEN jane@acme.example's order brought by DIST, credited 50 points in DIST's ledger
    program = make_program(partners={"points_per_unit": "0.5"})
    order = make_order(partner_id="DIST", buyer_id="jane@acme.example")
    commit = commit_order(
        program, make_account(), order, {}, mint=lambda _: "NP-1", partner=Account(customer_id="DIST", partner=True)
    )
    assert commit.partner is not None
    (entry,) = commit.partner.ledger
    stored = {**entry.model_dump(mode="json"), "entry_key": "k1"}

    # WHEN the streams deliver the partner's ledger entry and the order record
    from_ledger = events_of(change("ledger", stored))
    (committed,) = events_of(change("orders", {"record": commit.record.model_dump_json()}))

    # THEN the entry is told by its order, which names the partner and its points and never the buyer
    assert from_ledger == []
    assert stored["buyer_id"] is None
    detail = committed.detail.model_dump()
    assert (detail["partner_id"], detail["partner_points"]) == ("DIST", 50)
    assert "jane@acme.example" not in committed.detail_json()


def test_a_new_code_is_code_issued_and_its_use_is_no_event() -> None:
    code = {"code": "NP-1", "kind": "next_purchase", "customer_id": "ACME", "percent": 5, "issued_at": AT}

    (issued,) = events_of(change("codes", code))
    used = events_of(change("codes", {**code, "status": "used"}, old=code))

    assert issued.detail_type == "code.issued"
    assert issued.detail.model_dump()["percent"] == "5"
    assert used == []


def test_a_tier_entry_of_an_order_names_the_order_and_a_nightly_one_is_a_review() -> None:
    base = {"customer_id": "ACME", "kind": "tier_change", "at": AT, "before": "Silver", "after": "Gold"}

    (by_order,) = events_of(change("history", {**base, "event_key": "tier#2026-11-20T10:15:00.000000Z#SO-9"}))
    (nightly,) = events_of(change("history", {**base, "event_key": "tier#2026-11-21", "volume": 10}))

    assert by_order.detail.model_dump()["reason"] == "order"
    assert by_order.detail.model_dump()["order_id"] == "SO-9"
    assert nightly.detail.model_dump()["reason"] == "review"


def test_an_adjustment_record_is_points_adjusted_without_its_reason_or_admin() -> None:
    record = {
        "adjustment_id": "ADJ-1",
        "customer_id": "ACME",
        "points": -50,
        "reason": "goodwill for Jane Doe",
        "by": "ops key",
        "at": "2026-11-20T10:15:00Z",
        "fingerprint": "f",
        "balance": 950,
    }
    item = {"customer_id": "ACME", "event_key": "adjustment#ADJ-1", "kind": "adjustment", "record": json.dumps(record)}

    (event,) = events_of(change("history", item))

    assert event.detail_type == "points.adjusted"
    assert "Jane" not in event.detail_json()
    assert "ops key" not in event.detail_json()


def test_a_claim_tells_each_status_it_reaches_once() -> None:
    claimed = events_of(change("claims", claim_image("requested")))
    fulfilled = events_of(change("claims", claim_image("fulfilled"), old=claim_image("requested")))
    cancelled = events_of(change("claims", claim_image("cancelled"), old=claim_image("requested")))
    rewritten = events_of(change("claims", claim_image("fulfilled"), old=claim_image("fulfilled")))

    assert [event.detail_type for event in claimed + fulfilled + cancelled] == [
        "reward.claimed",
        "reward.fulfilled",
        "reward.cancelled",
    ]
    assert cancelled[0].detail.model_dump()["points_returned"] == 1500
    assert rewritten == []
    assert all("jane" not in event.detail_json() for event in claimed + fulfilled + cancelled)


def test_a_membership_that_changed_is_membership_changed_and_other_account_writes_are_not() -> None:
    before = {"customer_id": "ACME", "version": 3, "balance": 10, "profile": {"email": "a@acme.example"}}
    member = {**before, "version": 4, "membership": {"member": True, "since": "2026-11-20T10:15:00Z"}}

    (event,) = events_of(change("accounts", member, old=before, customer_id="ACME"))
    nothing = events_of(change("accounts", {**member, "version": 5, "balance": 20}, old=member, customer_id="ACME"))

    assert event.detail_type == "membership.changed"
    assert "acme.example" not in event.detail_json()
    assert nothing == []


def test_the_same_change_delivered_again_has_the_same_event_ids() -> None:
    entry = {"customer_id": "ACME", "entry_key": "k1", "kind": "expire", "points": -1, "at": AT}
    first = events_of(change("ledger", entry))
    again = events_of(Change.model_validate({**change("ledger", entry).model_dump(), "recorded_at": datetime.now(UTC)}))

    assert [event.detail.event_id for event in first] == [event.detail.event_id for event in again]


class FlakyBus:
    """Refuses each event the first ``refusals`` times it is sent."""

    def __init__(self, refusals: int = 0) -> None:
        self.refusals = refusals
        self.seen: dict[str, int] = {}
        self.accepted: list[Event] = []

    def publish(self, events: Sequence[Event]) -> list[Event]:
        refused = []
        for event in events:
            count = self.seen[event.detail.event_id] = self.seen.get(event.detail.event_id, 0) + 1
            if count <= self.refusals:
                refused.append(event)
            else:
                self.accepted.append(event)
        return refused


def expiry(key: str) -> Change:
    return change("ledger", {"customer_id": "ACME", "entry_key": key, "kind": "expire", "points": -1, "at": AT})


def test_events_the_bus_refused_once_are_sent_again_and_published() -> None:
    bus = FlakyBus(refusals=1)

    published = EventPublisher(bus).publish([("1", expiry("a")), ("2", expiry("b"))])

    assert published.failed == set()
    assert len(bus.accepted) == 2


def test_a_change_whose_events_the_bus_keeps_refusing_is_reported_failed() -> None:
    bus = FlakyBus(refusals=99)

    published = EventPublisher(bus, attempts=3).publish([("1", expiry("a"))])

    assert published.failed == {"1"}
    assert bus.seen == {published_id: 3 for published_id in bus.seen}


def test_a_change_that_cannot_be_mapped_fails_alone() -> None:
    broken = change("claims", {"claim_id": "CL-1", "record": "{not json"})

    published = EventPublisher(FlakyBus()).publish([("1", broken), ("2", expiry("a"))])

    assert published.failed == {"1"}
    assert [event.detail_type for event in published.events] == ["points.expired"]


def test_no_event_tells_a_buyer_id_though_every_image_carries_one() -> None:
    # GIVEN Jane's order, its ledger entry, her claim, and an account item whose buyer totals name her
    buyer = "jane@acme.example"
    commit = commit_order(
        make_program(), make_account(), make_order(buyer_id=buyer, redeem_points=0), {}, mint=lambda _kind: "NP-1"
    )
    record = commit.record.model_dump_json()
    cancelled = commit.record.model_copy(update={"status": "cancelled", "points_reversed": 100}).model_dump_json()
    totals = [{"buyer_id": buyer, "orders": 1, "revenue": "100", "points_earned": 100, "points_redeemed": 0}]
    account = {"customer_id": "ACME", "version": 3, "buyers": totals}
    member = {**account, "version": 4, "membership": {"member": True, "since": "2026-11-20T10:15:00Z"}}
    entry = {"customer_id": "ACME", "entry_key": "e#1", "kind": "expire", "points": -5, "at": AT, "buyer_id": buyer}
    changes = [
        change("orders", {"order_id": "SO-1001", "record": record}, order_id="SO-1001"),
        change("orders", {"record": cancelled}, old={"record": record}, order_id="SO-1001"),
        change("ledger", entry, customer_id="ACME", entry_key="e#1"),
        change("claims", claim_image("requested"), claim_id="CL-1"),
        change("accounts", member, old=account, customer_id="ACME"),
    ]

    # WHEN each is mapped to its events
    events = [event for each in changes for event in events_of(each)]

    # THEN every kind is told, and none of them names the buyer
    assert {event.detail_type for event in events} == {
        "order.committed",
        "order.cancelled",
        "points.expired",
        "reward.claimed",
        "membership.changed",
    }
    assert all(buyer not in event.detail_json() for event in events)


def test_a_stored_order_that_cannot_be_mapped_is_logged_without_its_values(caplog: Any) -> None:
    # GIVEN an order record whose stored line carries a unit cost the model refuses (5 decimals)
    order = make_order(lines=[{"sku": "PUMP-7", "quantity": 1, "unit_price": "1200", "unit_cost": "987.6543"}])
    record = commit_order(make_program(), make_account(), order, {}, mint=minting("NP-1")).record
    raw = json.loads(record.model_dump_json())
    raw["order"]["lines"][0]["unit_cost"] = "987.65431"
    broken = change("orders", {"order_id": "SO-1001", "record": json.dumps(raw)})

    # WHEN the publisher maps it
    published = EventPublisher(FlakyBus()).publish([("1", broken)])

    # THEN the change fails, and the log names the field, never the cost
    assert published.failed == {"1"}
    assert "order.lines.0.unit_cost" in caplog.text
    assert "987.6543" not in caplog.text
