"""The program document: what a program manager defines, validated before it can score anything.

Every model forbids unknown keys, so a typo in a document is a 422 that names the field,
never a silently ignored setting.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from loyalty.errors import InvalidInput
from loyalty.membership import Enrollment
from loyalty.types import Amount, DecimalInput, Flag, Identifier, InputInstant, Multiplier, Percent, Points, invalid

RESERVED_RULE_IDS = frozenset({"base", "tier", "tier_bonus", "redeem", "referral", "expiry", "adjust", "partner"})
"""Names the engine itself writes into ``breakdown[].rule`` and the ledger."""


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TierLevel(Document):
    name: Identifier
    threshold: Amount
    discount_percent: Percent = Decimal(0)
    points_multiplier: Multiplier = Decimal(1)
    free_shipping: Flag = False
    bonus_points_per_order: Points = 0


class Tiers(Document):
    basis: Literal["quantity", "spend", "orders"]
    window_days: Annotated[int, Field(strict=True, ge=1, le=3660)]
    levels: Annotated[list[TierLevel], Field(min_length=1, max_length=50)]

    @model_validator(mode="after")
    def _levels_ascend_from_zero(self) -> Self:
        if self.levels[0].threshold != 0:
            raise invalid(("levels", 0, "threshold"), "the first level must start at 0")
        for index, (lower, upper) in enumerate(zip(self.levels, self.levels[1:], strict=False), start=1):
            if upper.threshold <= lower.threshold:
                raise invalid(("levels", index, "threshold"), "thresholds must be strictly ascending")
        names = [level.name for level in self.levels]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise invalid(("levels", index, "name"), "tier names must be unique")
        return self

    def level(self, name: str | None) -> TierLevel | None:
        return next((level for level in self.levels if level.name == name), None)

    def rank(self, level: TierLevel) -> int:
        return self.levels.index(level)


class Rule(Document):
    id: Annotated[Identifier, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
    segments: Annotated[frozenset[Identifier], Field(min_length=1, max_length=100)] | None = None
    """When set, the rule applies only to accounts whose segment is listed (an account without one matches none)."""

    @model_validator(mode="after")
    def _id_is_not_reserved(self) -> Self:
        if self.id in RESERVED_RULE_IDS:
            raise invalid(("id",), "this id is reserved for the engine's own ledger lines")
        return self

    def applies_to(self, segment: str | None) -> bool:
        return self.segments is None or (segment is not None and segment in self.segments)


class CartAmountBonus(Rule):
    kind: Literal["cart_amount_bonus"]
    min_amount: Amount
    points: Points


class CartQuantityBonus(Rule):
    kind: Literal["cart_quantity_bonus"]
    min_items: Annotated[int, Field(strict=True, ge=1)]
    points: Points


class TimeBoxed(Rule):
    """A rule in force from ``starts_at`` (included) to ``ends_at`` (excluded)."""

    starts_at: InputInstant
    ends_at: InputInstant

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise invalid(("ends_at",), "must be later than starts_at")
        return self

    def active_at(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


class MultiplierEvent(TimeBoxed):
    kind: Literal["multiplier_event"]
    multiplier: Multiplier


class CategoryMultiplier(Rule):
    kind: Literal["category_multiplier"]
    category: Identifier
    multiplier: Multiplier


class MilestoneBonus(Rule):
    kind: Literal["milestone_bonus"]
    lifetime_spend: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4), DecimalInput]
    points: Points


class AnniversaryBonus(Rule):
    kind: Literal["anniversary_bonus"]
    points: Points


class FreeProduct(Rule):
    kind: Literal["free_product"]
    min_amount: Amount
    sku: Identifier


class WelcomeBonus(Rule):
    """Points on the account's first committed order."""

    kind: Literal["welcome_bonus"]
    points: Points


class FirstOrderDiscount(Rule):
    """A discount (source ``first_order``) on the account's first order."""

    kind: Literal["first_order_discount"]
    percent: Annotated[Decimal, Field(gt=0, le=100, decimal_places=4), DecimalInput]


class DiscountEvent(TimeBoxed):
    """A time-boxed discount (source ``event``); only the single highest active one applies."""

    kind: Literal["discount_event"]
    percent: Annotated[Decimal, Field(gt=0, le=100, decimal_places=4), DecimalInput]


class ProductMultiplier(Rule):
    """As ``category_multiplier``, over the lines whose ``sku`` is listed."""

    kind: Literal["product_multiplier"]
    skus: Annotated[list[Identifier], Field(min_length=1, max_length=1000)]
    multiplier: Multiplier


class MarginPoints(Rule):
    """Points on the margin of the lines that carry a ``unit_cost``, in the share of the order that earns."""

    kind: Literal["margin_points"]
    points_per_unit: Amount


ProgramRule = Annotated[
    CartAmountBonus
    | CartQuantityBonus
    | MultiplierEvent
    | CategoryMultiplier
    | MilestoneBonus
    | AnniversaryBonus
    | FreeProduct
    | WelcomeBonus
    | FirstOrderDiscount
    | DiscountEvent
    | ProductMultiplier
    | MarginPoints,
    Field(discriminator="kind"),
]


R = TypeVar("R", bound=Rule)

MAX_EARNING_RULES = 50
"""Rules that may each add a breakdown line, hence a ledger entry, to one commit. With the engine's own lines,
20 codes, a referral and a partner, the largest commit stays under DynamoDB's 100 items a transaction."""
NON_EARNING_KINDS = frozenset({"free_product", "first_order_discount", "discount_event"})


class NextPurchaseDiscount(Document):
    percent: Annotated[Decimal, Field(gt=0, le=100), DecimalInput]
    valid_days: Annotated[int, Field(strict=True, ge=1, le=3660)]
    min_amount: Amount = Decimal(0)


class ReferrerReward(Document):
    discount_percent: Percent = Decimal(0)
    valid_days: Annotated[int, Field(strict=True, ge=1, le=3660)] = 30
    points: Points = 0


class Referral(Document):
    referee_discount_percent: Percent = Decimal(0)
    referrer_reward: ReferrerReward = ReferrerReward()
    max_referrals: Annotated[int, Field(strict=True, ge=1)] | None = None


class Partners(Document):
    """Credit for the partner (a distributor) that brought an order: points on its own account."""

    points_per_unit: Amount
    counts_toward_tier: Flag = False
    """When set, the order's volume also counts toward the partner's tier."""


class Emails(Document):
    model_config = ConfigDict(populate_by_name=True)

    sender: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)] = Field(
        alias="from"
    )
    digest: Flag = True


class Reward(Document):
    """A catalog reward an account claims with points: a training day, an extended warranty, a service credit."""

    id: Annotated[Identifier, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    points: Annotated[int, Field(strict=True, ge=1, le=10**12)]
    stock: Annotated[int, Field(strict=True, ge=0, le=10**9)] | None = None
    """Units that can be claimed and not cancelled; ``None``: unlimited."""


class Program(Document):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    points_per_unit: Amount = Decimal(1)
    point_value: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=4), DecimalInput] = Decimal("0.01")
    points_expire_after_days: Annotated[int, Field(strict=True, ge=1, le=36600)] | None = None
    max_discount_percent: Percent = Decimal(100)
    excluded_segments: Annotated[list[Identifier], Field(max_length=100)] = []
    tiers: Tiers | None = None
    rules: Annotated[list[ProgramRule], Field(max_length=200)] = []
    next_purchase_discount: NextPurchaseDiscount | None = None
    referral: Referral | None = None
    partners: Partners | None = None
    emails: Emails | None = None
    rewards: Annotated[list[Reward], Field(max_length=200)] = []
    enrollment: Enrollment = Enrollment()

    @model_validator(mode="after")
    def _rule_ids_are_unique(self) -> Self:
        seen: set[str] = set()
        for index, rule in enumerate(self.rules):
            if rule.id in seen:
                raise invalid(("rules", index, "id"), "rule ids must be unique")
            seen.add(rule.id)
        return self

    @model_validator(mode="after")
    def _earning_rules_fit_one_transaction(self) -> Self:
        earning = [index for index, rule in enumerate(self.rules) if rule.kind not in NON_EARNING_KINDS]
        if len(earning) > MAX_EARNING_RULES:
            raise invalid(
                ("rules", earning[MAX_EARNING_RULES]),
                f"at most {MAX_EARNING_RULES} rules that earn points: each writes a ledger entry in the order's "
                "one transaction",
            )
        return self

    @model_validator(mode="after")
    def _reward_ids_are_unique(self) -> Self:
        seen: set[str] = set()
        for index, reward in enumerate(self.rewards):
            if reward.id in RESERVED_RULE_IDS or reward.id == "adjustment":
                raise invalid(("rewards", index, "id"), "this id is reserved for the engine's own ledger lines")
            if reward.id in seen:
                raise invalid(("rewards", index, "id"), "reward ids must be unique")
            seen.add(reward.id)
        return self

    def reward(self, reward_id: str) -> Reward | None:
        return next((reward for reward in self.rewards if reward.id == reward_id), None)

    def rules_of(self, kind: type[R]) -> list[R]:
        return [rule for rule in self.rules if isinstance(rule, kind)]

    @classmethod
    def parse(cls, document: object) -> Program:
        """Validate a program document, raising ``InvalidInput`` with one detail per wrong field."""
        try:
            return cls.model_validate(document)
        except ValidationError as error:
            raise InvalidInput.from_validation_error(error, union_tags=RULE_KINDS) from error


RULE_KINDS = frozenset(
    {
        "cart_amount_bonus",
        "cart_quantity_bonus",
        "multiplier_event",
        "category_multiplier",
        "milestone_bonus",
        "anniversary_bonus",
        "free_product",
        "welcome_bonus",
        "first_order_discount",
        "discount_event",
        "product_multiplier",
        "margin_points",
    }
)
"""The ``kind`` tags of ``ProgramRule``; a unit test keeps the two in step."""
