"""What the engine knows of one loyalty account (a company, not a person) when it decides."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from loyalty.buyers import Buyers
from loyalty.membership import Membership, is_member
from loyalty.program import Program
from loyalty.tiers import VolumeBucket, in_day_order
from loyalty.types import Identifier, Instant, Points
from loyalty.wallet import Wallet


class PartnerTotals(BaseModel):
    """What a partner's brought orders add up to, over the orders that stand (returns deducted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    orders: int = 0
    sales: Decimal = Decimal(0)
    """Sum of the eligible amounts of those orders."""
    points: int = 0
    """Partner credit still standing."""


class Account(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    customer_id: Identifier
    segment: Identifier | None = None
    tier: str | None = None
    buckets: Annotated[tuple[VolumeBucket, ...], AfterValidator(in_day_order)] = ()
    """``loyalty.tiers.Buckets``: in day order, one per day, whatever order they were given in."""
    lifetime_spend: Decimal = Decimal(0)
    """Sum of the eligible amounts of the account's orders that stand (cancelled ones are taken out)."""
    wallet: Wallet = Wallet()
    first_order_at: Instant | None = None
    anniversaries_rewarded: Points = 0
    """How many anniversaries of the first order have been rewarded (or passed without an order)."""
    milestones_reached: frozenset[str] = frozenset()
    buyers: Buyers = ()
    """Per buyer, the totals of its standing orders (``loyalty.buyers``): kept by commits, cancels and returns."""
    membership: Membership | None = None
    """Enrolment through ``PUT /customers/{id}/membership``: read only by ``invite`` and ``paid`` programs."""
    partner: bool = False
    """Copied from the profile: the account may be named as an order's ``partner_id``."""
    partner_totals: PartnerTotals = PartnerTotals()

    @property
    def balance(self) -> int:
        return self.wallet.balance

    @property
    def has_ordered(self) -> bool:
        return self.first_order_at is not None

    def is_member(self, program: Program, placed_at: datetime) -> bool:
        """Whether an order placed at ``placed_at`` is a member's (SPEC section 9): it earns only then."""
        return is_member(program.enrollment.mode, self.membership, placed_at)

    def excluded_from(self, program: Program) -> bool:
        return self.segment is not None and self.segment in program.excluded_segments


def anniversaries_at(first_order_at: datetime, moment: datetime) -> int:
    """How many anniversaries of the first order fall at or before ``moment`` (29 February: the 28th)."""
    return _anniversaries_at(first_order_at, moment, moment.year - first_order_at.year)


def anniversary_due(first_order_at: datetime, rewarded: int, moment: datetime) -> int | None:
    """The anniversary an order at ``moment`` reaches beyond the ``rewarded`` ones, if any.

    At most ``moment.year - first_order_at.year`` have passed: when that is no more than those rewarded
    (most orders of an account), no date needs working out.
    """
    years = moment.year - first_order_at.year
    if years <= rewarded:
        return None
    reached = _anniversaries_at(first_order_at, moment, years)
    return reached if reached > rewarded else None


def _anniversaries_at(first_order_at: datetime, moment: datetime, years: int) -> int:
    if years > 0 and add_years(first_order_at, years) > moment:
        years -= 1
    return max(years, 0)


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)
