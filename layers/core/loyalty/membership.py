"""Enrollment (SPEC section 9): who is a member of the program when an order is placed.

In an ``open`` program every account is a member; in ``invite`` and ``paid`` programs only the
accounts whose stored membership window holds the order's ``placed_at``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, model_validator

from loyalty.errors import Conflict, FieldError, InvalidInput
from loyalty.types import Flag, InputInstant, Instant, invalid

EnrollmentMode = Literal["open", "invite", "paid"]


class Enrollment(BaseModel):
    """The program document's ``enrollment``: how an account becomes a member."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: EnrollmentMode = "open"


class Membership(BaseModel):
    """An account's membership as stored on its item: ``since <= t < until`` (``until`` null: no end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member: bool
    since: Instant
    until: Instant | None = None

    def holds_at(self, moment: datetime) -> bool:
        return self.since <= moment and (self.until is None or moment < self.until)


class MembershipRequest(BaseModel):
    """``PUT /customers/{id}/membership``: enrol or renew (``member`` true), or end (``member`` false)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    member: Flag
    until: InputInstant | None = None
    """When the membership ends (exclusive); required in a ``paid`` program, refused with ``member`` false."""
    since: InputInstant | None = None
    """When a new membership began, for backdating; by default the request time. A renewal keeps its own."""

    @model_validator(mode="after")
    def _an_end_needs_no_window(self) -> Self:
        if not self.member and self.until is not None:
            raise invalid(("until",), 'a membership ended with {"member": false} ends now: send no until')
        if not self.member and self.since is not None:
            raise invalid(("since",), 'a membership ended with {"member": false} takes no since')
        return self


class NotMember(Conflict):
    """What only a member may do (redeem points, claim a reward) asked for an account that is not one."""

    code = "not_member"


def change_membership(
    mode: EnrollmentMode, current: Membership | None, request: MembershipRequest, *, now: datetime
) -> Membership:
    """The membership after ``request`` at ``now``: enrol, renew (``since`` kept, ``until`` set) or end.

    A renewal is an active membership (``member`` true and ``now`` before its ``until``) asked
    to stay: it keeps ``since``. Ending sets ``until`` to ``now`` (or keeps an earlier end).
    """
    if not request.member:
        if current is None or not current.member:
            return current or Membership(member=False, since=now, until=now)
        until = now if current.until is None else min(current.until, now)
        return Membership(member=False, since=current.since, until=max(until, current.since))
    if mode == "paid" and request.until is None:
        raise _wrong_until("a paid membership needs an until")
    active = current is not None and current.member and (current.until is None or now < current.until)
    since = current.since if active and current is not None else (request.since or now)
    if request.until is not None and request.until <= since:
        raise _wrong_until("must be after the membership's since")
    return Membership(member=True, since=since, until=request.until)


def is_member(mode: EnrollmentMode, membership: Membership | None, moment: datetime) -> bool:
    """Open programs: everyone. Otherwise a stored window that holds ``moment``.

    An ended membership (``member`` false) still holds the orders placed inside its window, so an
    order dated before the end is scored as a member's whenever it arrives.
    """
    if mode == "open":
        return True
    return membership is not None and membership.holds_at(moment)


class MembershipStatus(BaseModel):
    """What the route and the account summary show: a member at the time asked, and the window."""

    model_config = ConfigDict(frozen=True)

    member: bool
    since: Instant | None
    until: Instant | None


def membership_status(
    mode: EnrollmentMode, membership: Membership | None, *, first_order_at: datetime | None, now: datetime
) -> MembershipStatus:
    """An open program reads no stored membership: every account is a member from its first order.

    Otherwise the stored window (none: not a member), ``member`` meaning a member at ``now``.
    """
    if mode == "open":
        return MembershipStatus(member=True, since=first_order_at, until=None)
    if membership is None:
        return MembershipStatus(member=False, since=None, until=None)
    return MembershipStatus(member=membership.holds_at(now), since=membership.since, until=membership.until)


def _wrong_until(message: str) -> InvalidInput:
    return InvalidInput("the membership is not valid", [FieldError(field="until", message=message, type="invalid")])
