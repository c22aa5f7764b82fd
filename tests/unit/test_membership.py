"""Enrollment (SPEC section 9): who is a member for an order, and what a non-member's order does and does not do."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from loyalty.account import Account
from loyalty.claims import ClaimRequest
from loyalty.codes import DiscountCode
from loyalty.commit import commit_order
from loyalty.errors import CodeRejected, InvalidInput
from loyalty.membership import Membership, MembershipRequest, NotMember, change_membership, membership_status
from loyalty.program import Program
from loyalty.scoring import score
from loyalty.tiers import VolumeBucket
from loyalty_service.claims import ClaimService
from loyalty_service.customers import CustomerService
from loyalty_service.ports import AccountRecord
from loyalty_service.programs import ProgramSource
from tests.fakes import InMemoryCustomerStore, programs_in_force
from tests.operation_fakes import InMemoryClaimStore
from tests.unit.builders import at, make_account, make_order, make_program, minting, spec_document

PLACED = at("2026-11-20T10:15:00Z")
NOW = at("2026-12-01T09:00:00Z")
FASTENERS = [{"sku": "BOLT-M8", "quantity": 2000, "unit_price": "0.45", "category": "fasteners"}]
CODE = DiscountCode(
    code="NP-7F3K2Q9X",
    kind="next_purchase",
    customer_id="ACME",
    percent=Decimal(5),
    issued_at=at("2026-11-10T10:00:00Z"),
    expires_at=at("2026-12-10T10:00:00Z"),
    issued_by_order="SO-0950",
)


def invite_only(**changes: Any) -> Program:
    return make_program(enrollment={"mode": "invite"}, **changes)


def silver(**changes: Any) -> Account:
    """Silver with 1,010 items in the window and 2,125 points: a member would get 5% off and 1.25x points."""
    return make_account(
        balance=2125,
        tier="Silver",
        buckets=(VolumeBucket(day=date(2026, 11, 2), items=1010, spend=Decimal(0)),),
        first_order_at=at("2026-11-02T10:00:00Z"),
        **changes,
    )


def window(since: str, until: str | None = None, *, member: bool = True) -> Membership:
    return Membership(member=member, since=at(since), until=at(until) if until else None)


# ---------------------------------------------------------------------- who is a member


class TestWindows:
    def test_an_order_placed_at_since_is_a_members(self) -> None:
        account = silver(membership=window("2026-11-20T10:15:00Z"))

        assert account.is_member(invite_only(), PLACED) is True

    def test_an_order_placed_at_until_is_not_a_members(self) -> None:
        account = silver(membership=window("2026-01-01T00:00:00Z", "2026-11-20T10:15:00Z"))

        assert account.is_member(invite_only(), PLACED) is False

    def test_an_order_placed_before_since_is_not_a_members(self) -> None:
        account = silver(membership=window("2026-11-20T10:15:01Z"))

        assert account.is_member(invite_only(), PLACED) is False

    def test_an_ended_membership_still_holds_the_orders_placed_inside_it(self) -> None:
        account = silver(membership=window("2026-01-01T00:00:00Z", "2026-11-21T00:00:00Z", member=False))

        assert account.is_member(invite_only(), PLACED) is True

    def test_an_account_never_enrolled_is_not_a_member_of_an_invite_program(self) -> None:
        assert silver().is_member(invite_only(), PLACED) is False

    def test_in_an_open_program_every_account_is_a_member_whatever_is_stored(self) -> None:
        ended = silver(membership=window("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", member=False))

        assert (silver().is_member(make_program(), PLACED), ended.is_member(make_program(), PLACED)) == (True, True)

    def test_the_default_enrollment_is_open(self) -> None:
        assert make_program().enrollment.mode == "open"

    def test_an_unknown_mode_is_a_422_on_enrollment_mode(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            make_program(enrollment={"mode": "closed"})

        assert [detail.field for detail in refused.value.details] == ["enrollment.mode"]


# ---------------------------------------------------------------------- what a non-member's order does


class TestNonMemberOrders:
    def test_it_earns_no_points_and_gets_no_tier_discount_and_says_member_false(self) -> None:
        # GIVEN a Silver account of an invite-only program that was never enrolled
        # WHEN it buys 2,000 fasteners at 0.45
        decision = score(invite_only(), silver(), make_order(lines=FASTENERS), {}).decision
        # THEN it pays 900.00 in full (no 5% tier discount) and earns nothing
        assert (decision.discounts, str(decision.eligible_amount), decision.points, decision.breakdown) == (
            (),
            "900.00",
            0,
            (),
        )
        assert decision.member is False

    def test_a_member_of_the_same_program_gets_the_discount_and_the_points(self) -> None:
        account = silver(membership=window("2026-11-01T00:00:00Z"))

        decision = score(invite_only(), account, make_order(lines=FASTENERS), {}).decision

        # 5% of 900 = 45 off; 855 eligible: base 855, fasteners 855, tier 0.25 x 1710 = 427, bulk 1000
        assert (str(decision.discount_total), decision.points, decision.member) == ("45.00", 3137, True)

    def test_it_gets_no_effects(self) -> None:
        gold = make_account(tier="Gold", buckets=(VolumeBucket(day=date(2026, 11, 2), items=6000, spend=Decimal(0)),))
        big = [{"sku": "BOLT-M8", "quantity": 20000, "unit_price": "0.45", "category": "fasteners"}]

        decision = score(invite_only(), gold, make_order(lines=big), {}).decision

        # a member would get free shipping (Gold) and the sample kit (9,000 >= 5,000)
        assert decision.effects == ()

    def test_its_commit_counts_volume_and_lifetime_spend_and_issues_no_code(self) -> None:
        commit = commit_order(invite_only(), silver(), make_order(lines=FASTENERS), {}, mint=minting("NP-NEW"))

        # a member would be issued the 5% next-purchase code (855 >= 500)
        assert commit.issued_code is None
        assert commit.decision.issued_discount is None
        assert commit.account.lifetime_spend == Decimal("900.00")
        assert commit.account.buckets[-1] == VolumeBucket(
            day=date(2026, 11, 20), items=2000, spend=Decimal("900.00"), orders=1
        )
        assert (commit.account.balance, commit.ledger) == (2125, ())

    def test_each_code_it_carries_is_rejected_not_member_in_a_preview(self) -> None:
        order = make_order(lines=FASTENERS, codes=["NP-7F3K2Q9X", "NOPE"])

        decision = score(invite_only(), silver(), order, {CODE.code: CODE}).decision

        assert [(rejected.code, rejected.reason) for rejected in decision.rejected_codes] == [
            ("NP-7F3K2Q9X", "not_member"),
            ("NOPE", "not_member"),
        ]
        assert decision.discounts == ()

    def test_a_commit_carrying_a_code_is_refused_not_member(self) -> None:
        order = make_order(lines=FASTENERS, codes=["NP-7F3K2Q9X"])

        with pytest.raises(CodeRejected) as refused:
            commit_order(invite_only(), silver(), order, {CODE.code: CODE}, mint=minting())

        assert (refused.value.code, refused.value.rejected_code) == ("not_member", "NP-7F3K2Q9X")

    def test_it_cannot_redeem_points_preview_included(self) -> None:
        order = make_order(lines=FASTENERS, redeem_points=100)

        with pytest.raises(NotMember) as refused:
            score(invite_only(), silver(), order, {})

        assert refused.value.code == "not_member"

    def test_a_stored_decision_without_member_reads_as_a_members(self) -> None:
        decision = score(make_program(), silver(), make_order(), {}).decision
        stored = decision.model_dump(mode="json")
        del stored["member"]

        assert type(decision).model_validate(stored).member is True


# ---------------------------------------------------------------------- enrolling, renewing, ending


class TestChangeMembership:
    def test_enrolling_begins_at_the_request_time(self) -> None:
        made = change_membership("invite", None, MembershipRequest(member=True), now=NOW)

        assert made == Membership(member=True, since=NOW, until=None)

    def test_a_since_in_the_body_backdates_a_new_membership(self) -> None:
        request = MembershipRequest.model_validate({"member": True, "since": "2026-11-01T00:00:00Z"})

        assert change_membership("invite", None, request, now=NOW).since == at("2026-11-01T00:00:00Z")

    def test_renewing_keeps_since_and_sets_until(self) -> None:
        current = window("2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z")
        request = MembershipRequest.model_validate({"member": True, "until": "2027-12-31T00:00:00Z"})

        renewed = change_membership("paid", current, request, now=NOW)

        assert renewed == window("2026-01-01T00:00:00Z", "2027-12-31T00:00:00Z")

    def test_a_lapsed_membership_enrolled_again_begins_anew(self) -> None:
        lapsed = window("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
        request = MembershipRequest.model_validate({"member": True, "until": "2027-12-01T00:00:00Z"})

        assert change_membership("paid", lapsed, request, now=NOW) == Membership(
            member=True, since=NOW, until=at("2027-12-01T00:00:00Z")
        )

    def test_ending_sets_until_to_now_and_ending_again_changes_nothing(self) -> None:
        current = window("2026-01-01T00:00:00Z")

        ended = change_membership("invite", current, MembershipRequest(member=False), now=NOW)
        again = change_membership("invite", ended, MembershipRequest(member=False), now=at("2027-01-01T00:00:00Z"))

        assert ended == Membership(member=False, since=at("2026-01-01T00:00:00Z"), until=NOW)
        assert again == ended

    def test_a_paid_membership_needs_an_until(self) -> None:
        with pytest.raises(InvalidInput) as refused:
            change_membership("paid", None, MembershipRequest(member=True), now=NOW)

        assert [detail.field for detail in refused.value.details] == ["until"]

    def test_an_until_not_after_since_is_refused(self) -> None:
        request = MembershipRequest.model_validate({"member": True, "until": "2026-12-01T09:00:00Z"})

        with pytest.raises(InvalidInput) as refused:
            change_membership("invite", None, request, now=NOW)

        assert [detail.field for detail in refused.value.details] == ["until"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"member": False, "until": "2027-01-01T00:00:00Z"}, "until"),
            ({"member": True, "since": "1999-12-31T00:00:00Z"}, "since"),
            ({"member": True, "until": "2201-01-01T00:00:00Z"}, "until"),
            ({"member": "yes"}, "member"),
            ({"member": True, "plan": "gold"}, "plan"),
        ],
    )
    def test_a_wrong_body_names_its_field(self, body: dict[str, Any], field: str) -> None:
        with pytest.raises(ValidationError) as refused:
            MembershipRequest.model_validate(body)

        details = InvalidInput.from_validation_error(refused.value).details
        assert [detail.field for detail in details] == [field]

    def test_an_open_program_shows_every_account_a_member_from_its_first_order(self) -> None:
        stored = window("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", member=False)

        status = membership_status("open", stored, first_order_at=at("2026-11-02T10:00:00Z"), now=NOW)

        assert (status.member, status.since, status.until) == (True, at("2026-11-02T10:00:00Z"), None)


# ---------------------------------------------------------------------- the use cases


def customers(store: InMemoryCustomerStore, program: Program) -> CustomerService:
    programs = programs_in_force(program, since=at("2026-01-01T00:00:00Z"))
    store.timeline = programs.current
    return CustomerService(store, ProgramSource(programs, clock=lambda: NOW), clock=lambda: NOW, pause=lambda _: None)


class TestMembershipService:
    def test_enrolling_stores_the_membership_and_a_repeated_put_writes_nothing(self) -> None:
        store = InMemoryCustomerStore(AccountRecord(account=silver(), version=3))
        service = customers(store, invite_only())

        first = service.set_membership("ACME", MembershipRequest(member=True))
        again = service.set_membership("ACME", MembershipRequest(member=True))

        assert (first.member, first.since, first.until) == (True, NOW, None)
        assert again == first
        assert store.calls.count("save_membership") == 1
        assert store.accounts["ACME"].account.membership == Membership(member=True, since=NOW)
        assert store.accounts["ACME"].version == 4

    def test_an_account_never_stored_is_created_enrolled(self) -> None:
        store = InMemoryCustomerStore()

        made = customers(store, invite_only()).set_membership("NEWCO", MembershipRequest(member=True))

        assert made.member is True
        assert store.accounts["NEWCO"].version == 1

    def test_the_summary_shows_the_stored_membership(self) -> None:
        enrolled = silver(membership=window("2026-11-01T00:00:00Z", "2026-12-01T09:00:00Z"))
        store = InMemoryCustomerStore(AccountRecord(account=enrolled, version=3))

        shown = customers(store, invite_only()).summary("ACME").membership

        # until == now: the membership has just ended
        assert (shown.member, shown.since, shown.until) == (
            False,
            at("2026-11-01T00:00:00Z"),
            at("2026-12-01T09:00:00Z"),
        )


def test_a_reward_claim_by_a_non_member_is_refused_not_member() -> None:
    document = {**spec_document(), "enrollment": {"mode": "invite"}}
    document["rewards"] = [{"id": "warranty", "name": "Warranty", "points": 100}]
    store = InMemoryClaimStore(
        programs_in_force(document, since=at("2026-01-01T00:00:00Z")),
        AccountRecord(account=silver(), version=3),
    )
    service = ClaimService(store, ProgramSource(store.programs, clock=lambda: NOW), clock=lambda: NOW)

    with pytest.raises(NotMember):
        service.claim("ACME", ClaimRequest(claim_id="C1", reward_id="warranty"))

    assert store.accounts["ACME"].account.balance == 2125


def test_a_non_members_order_credits_its_partner_nothing() -> None:
    # GIVEN an invite-only program crediting partners 0.5 a unit, and a never-enrolled customer
    partners = {"points_per_unit": "0.5", "counts_toward_tier": False}
    program = make_program(enrollment={"mode": "invite"}, partners=partners)
    partner = Account(customer_id="DIST", partner=True)
    order = make_order(partner_id="DIST", lines=[{"sku": "BOLT", "quantity": 1, "unit_price": "100.99"}])

    # WHEN its order of 100.99 brought by DIST commits
    commit = commit_order(program, make_account(), order, {}, mint=minting(), partner=partner)

    # THEN DIST is credited 0 points (a member's order would give floor(50.495) = 50)
    assert commit.decision.partner is not None
    assert commit.decision.partner.points == 0
    assert commit.partner is not None
    assert commit.partner.account.balance == 0
