"""Codes an order may carry, and why one cannot be used.

Single-use discount codes (a next-purchase discount, a referrer's reward) belong to one
account; a referral code belongs to its referrer and may be used once per referee, on the
referee's first order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from loyalty.program import Program
from loyalty.types import Identifier, Instant, Percent, Points

RejectionReason = Literal[
    "unknown", "expired", "used", "not_owner", "self_referral", "not_first_order", "referrer_limit", "not_member"
]
DiscountKind = Literal["next_purchase", "referral_reward"]
CodeStatus = Literal["active", "used", "revoked", "expired"]


class DiscountCode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Identifier
    kind: DiscountKind
    customer_id: Identifier
    percent: Percent
    issued_at: Instant
    expires_at: Instant
    issued_by_order: Identifier
    status: CodeStatus = "active"
    used_by_order: Identifier | None = None

    def usable_at(self, moment: datetime) -> bool:
        return moment < self.expires_at


class ReferralCode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Identifier
    customer_id: Identifier
    referrals: Points = 0
    referrer_excluded: bool = False
    """The referrer's segment is excluded from the program: it is issued no reward."""


Code = DiscountCode | ReferralCode


class RejectedCode(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    reason: RejectionReason


class CodeCheck(BaseModel):
    """The codes of one order, sorted into what applies and what does not, in the order given."""

    model_config = ConfigDict(frozen=True)

    discounts: tuple[DiscountCode, ...] = ()
    referral: ReferralCode | None = None
    rejected: tuple[RejectedCode, ...] = ()

    @property
    def accepted(self) -> tuple[str, ...]:
        referral = (self.referral.code,) if self.referral else ()
        return (*(code.code for code in self.discounts), *referral)


NO_CODES = CodeCheck()
"""What an order without codes carries (most orders): one shared, immutable answer."""


def check_codes(
    program: Program,
    *,
    customer_id: str,
    has_ordered: bool,
    placed_at: datetime,
    codes: Sequence[str],
    known: Mapping[str, Code],
) -> CodeCheck:
    if not codes:
        return NO_CODES
    discounts: list[DiscountCode] = []
    referral: ReferralCode | None = None
    rejected: list[RejectedCode] = []
    for text in codes:
        code = known.get(text)
        if isinstance(code, DiscountCode):
            reason = _discount_rejection(code, customer_id, placed_at)
            if reason is None:
                discounts.append(code)
        elif isinstance(code, ReferralCode):
            reason = _referral_rejection(program, code, customer_id, has_ordered, already=referral is not None)
            if reason is None:
                referral = code
        else:
            reason = "unknown"
        if reason is not None:
            rejected.append(RejectedCode(code=text, reason=reason))
    return CodeCheck(discounts=tuple(discounts), referral=referral, rejected=tuple(rejected))


def _discount_rejection(code: DiscountCode, customer_id: str, placed_at: datetime) -> RejectionReason | None:
    if code.status == "revoked":
        return "unknown"
    if code.customer_id != customer_id:
        return "not_owner"
    if code.status == "used":
        return "used"
    if code.status == "expired" or not code.usable_at(placed_at):
        return "expired"
    return None


def _referral_rejection(
    program: Program, code: ReferralCode, customer_id: str, has_ordered: bool, *, already: bool
) -> RejectionReason | None:
    if program.referral is None:
        return "unknown"
    if code.customer_id == customer_id:
        return "self_referral"
    if has_ordered:
        return "not_first_order"
    if already:
        return "used"
    limit = program.referral.max_referrals
    if limit is not None and code.referrals >= limit:
        return "referrer_limit"
    return None


def discount_percent(code: DiscountCode | ReferralCode, program: Program) -> Decimal:
    if isinstance(code, DiscountCode):
        return code.percent
    return program.referral.referee_discount_percent if program.referral else Decimal(0)
