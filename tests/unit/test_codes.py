"""Codes on an order: which apply, which are rejected and why, and how discounts stack under the cap."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from loyalty.codes import Code, DiscountCode, ReferralCode
from loyalty.program import Program
from loyalty.scoring import score
from loyalty.tiers import VolumeBucket
from tests.unit.builders import at, make_account, make_order, make_program


def discount_code(code: str = "NP-7F3K2Q9X", **changes: Any) -> DiscountCode:
    fields: dict[str, Any] = {
        "code": code,
        "kind": "next_purchase",
        "customer_id": "ACME",
        "percent": Decimal(5),
        "issued_at": at("2026-11-10T10:00:00Z"),
        "expires_at": at("2026-12-10T10:00:00Z"),
        "issued_by_order": "SO-0900",
    }
    return DiscountCode(**{**fields, **changes})


def referral_code(code: str = "R9QK2M7TX", **changes: Any) -> ReferralCode:
    return ReferralCode(**{"code": code, "customer_id": "GLOBEX", "referrals": 0, **changes})


def check(program: Program, known: dict[str, Code], *, placed_at: str = "2026-11-20T10:15:00Z", **account: Any):
    order = make_order(codes=list(known) or ["NOPE"], placed_at=placed_at)
    return score(program, make_account(**account), order, known).decision


def reasons(program: Program, known: dict[str, Code], **kwargs: Any) -> list[tuple[str, str]]:
    return [(item.code, item.reason) for item in check(program, known, **kwargs).rejected_codes]


def test_an_unknown_code_is_rejected_and_applies_nothing(program: Program) -> None:
    decision = score(program, make_account(), make_order(codes=["NOPE"]), {}).decision

    assert [(item.code, item.reason) for item in decision.rejected_codes] == [("NOPE", "unknown")]
    assert decision.discounts == ()


def test_a_valid_next_purchase_code_takes_its_percent(program: Program) -> None:
    decision = check(program, {"NP-7F3K2Q9X": discount_code()})

    assert decision.model_dump(mode="json")["discounts"] == [
        {"source": "code", "percent": "5", "amount": "5.00", "code": "NP-7F3K2Q9X"}
    ]


@pytest.mark.parametrize(
    ("placed_at", "reason"),
    [("2026-12-10T09:59:59Z", None), ("2026-12-10T10:00:00Z", "expired"), ("2027-01-01T00:00:00Z", "expired")],
)
def test_a_code_is_usable_strictly_before_it_expires(program: Program, placed_at: str, reason: str | None) -> None:
    rejected = reasons(program, {"NP-7F3K2Q9X": discount_code()}, placed_at=placed_at)

    assert rejected == ([("NP-7F3K2Q9X", reason)] if reason else [])


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": "used", "used_by_order": "SO-1"}, "used"),
        ({"status": "expired"}, "expired"),
        ({"status": "revoked"}, "unknown"),
        ({"customer_id": "GLOBEX"}, "not_owner"),
        ({"customer_id": "GLOBEX", "status": "used"}, "not_owner"),
    ],
)
def test_a_discount_code_is_rejected_with_its_reason(program: Program, changes: dict[str, Any], reason: str) -> None:
    assert reasons(program, {"NP-7F3K2Q9X": discount_code(**changes)}) == [("NP-7F3K2Q9X", reason)]


def test_a_referral_code_gives_a_first_order_the_referee_discount(program: Program) -> None:
    decision = check(program, {"R9QK2M7TX": referral_code()})

    assert decision.model_dump(mode="json")["discounts"] == [
        {"source": "referral", "percent": "10", "amount": "10.00", "code": "R9QK2M7TX"}
    ]


@pytest.mark.parametrize(
    ("code", "account", "reason"),
    [
        (referral_code(customer_id="ACME"), {}, "self_referral"),
        (referral_code(), {"first_order_at": at("2026-01-05T10:00:00Z")}, "not_first_order"),
        (referral_code(referrals=50), {}, "referrer_limit"),
    ],
)
def test_a_referral_code_is_rejected_with_its_reason(
    program: Program, code: ReferralCode, account: dict[str, Any], reason: str
) -> None:
    assert reasons(program, {"R9QK2M7TX": code}, **account) == [("R9QK2M7TX", reason)]


def test_referral_codes_mean_nothing_to_a_program_without_referrals() -> None:
    program = make_program(referral=None)

    assert reasons(program, {"R9QK2M7TX": referral_code()}) == [("R9QK2M7TX", "unknown")]


def test_only_one_referral_applies_to_an_order(program: Program) -> None:
    known: dict[str, Code] = {"R1": referral_code("R1"), "R2": referral_code("R2", customer_id="INITECH")}

    assert reasons(program, known) == [("R2", "used")]


def test_discounts_list_tier_then_codes_in_order_then_referral(program: Program) -> None:
    silver = {"tier": "Silver", "buckets": (VolumeBucket(day=date(2026, 11, 2), items=1010, spend=Decimal(0)),)}
    known: dict[str, Code] = {
        "R9QK2M7TX": referral_code(),
        "RW-2": discount_code("RW-2", kind="referral_reward", percent=Decimal(3)),
        "NP-1": discount_code("NP-1"),
    }

    decision = check(program, known, **silver)

    assert [(line.source, line.code, str(line.percent)) for line in decision.discounts] == [
        ("tier", None, "5"),
        ("code", "RW-2", "3"),
        ("code", "NP-1", "5"),
        ("referral", "R9QK2M7TX", "10"),
    ]
    assert decision.discount_total == Decimal("23.00")


def test_the_cap_trims_the_last_sources_and_the_lines_still_add_up() -> None:
    program = make_program(max_discount_percent="12")
    known: dict[str, Code] = {"NP-1": discount_code("NP-1", percent=Decimal(5)), "R9QK2M7TX": referral_code()}
    silver = {"tier": "Silver", "buckets": (VolumeBucket(day=date(2026, 11, 2), items=1010, spend=Decimal(0)),)}
    order = make_order(codes=list(known), lines=[{"sku": "A", "quantity": 3, "unit_price": "33.3333"}])

    decision = score(program, make_account(**silver), order, known).decision

    assert [str(line.percent) for line in decision.discounts] == ["5", "5", "2"]
    assert decision.discount_total == Decimal("12.00")  # 12% of 99.9999 = 11.999988
    assert sum(line.amount for line in decision.discounts) == decision.discount_total


def test_a_capped_source_reduced_to_nothing_is_still_listed_with_zero(program: Program) -> None:
    capped = make_program(max_discount_percent="5")
    known: dict[str, Code] = {"NP-1": discount_code("NP-1", percent=Decimal(5)), "R9QK2M7TX": referral_code()}

    decision = check(capped, known)

    assert [(line.source, str(line.percent), str(line.amount)) for line in decision.discounts] == [
        ("code", "5", "5.00"),
        ("referral", "0", "0.00"),
    ]
