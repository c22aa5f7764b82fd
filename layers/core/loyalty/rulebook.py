"""A program's rules sorted by what they do, worked out once per program document and kept.

Scoring looks up the rules of one kind several times per decision, and one program scores every
decision of a request, a job or a backtest. Sorting the rules once per program, rather than on
every look-up, leaves a decision with its own arithmetic only.

What a decision reads of a rule or a tier level is copied here into plain slotted attributes: a
pydantic model's attribute read passes through the model's ``__getattr__`` hook and costs about
twenty times a slot's, and a decision reads the same few figures of the same program every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from loyalty.decision import Effect, TierChange
from loyalty.money import ZERO, exact
from loyalty.order import OrderTotals
from loyalty.program import (
    AnniversaryBonus,
    CartAmountBonus,
    CartQuantityBonus,
    CategoryMultiplier,
    DiscountEvent,
    FirstOrderDiscount,
    FreeProduct,
    MarginPoints,
    MilestoneBonus,
    MultiplierEvent,
    ProductMultiplier,
    Program,
    TierLevel,
    Tiers,
    WelcomeBonus,
)
from loyalty.tiers import level_for

KEPT_PROGRAMS = 32


@dataclass(frozen=True, slots=True)
class Multiplied:
    """A category or product multiplier, with what it multiplies and its extra multiplier (``multiplier - 1``)."""

    rule_id: str
    category: str | None
    """The category it multiplies (a ``category_multiplier``), or ``None`` for a ``product_multiplier``."""
    skus: frozenset[str]
    """The skus it multiplies (a ``product_multiplier``); empty for a ``category_multiplier``."""
    extra: Decimal


@dataclass(frozen=True, slots=True)
class CartBonus:
    """A ``cart_amount_bonus`` or ``cart_quantity_bonus``: fixed points for a cart that reaches its minimum."""

    rule_id: str
    counts_items: bool
    """Whether the minimum is a number of items (a quantity bonus) rather than an amount."""
    minimum: Decimal | int
    points: int

    def reached_by(self, cart: OrderTotals) -> bool:
        return (cart.items if self.counts_items else cart.subtotal) >= self.minimum


@dataclass(frozen=True, slots=True)
class Level:
    """A tier level as scoring reads it: its terms, and its rank among the program's levels (0: the lowest)."""

    name: str
    rank: int
    threshold: Decimal
    discount_percent: Decimal
    extra: Decimal
    """What its multiplier adds: ``points_multiplier - 1``."""
    free_shipping: bool
    bonus_points: int

    @classmethod
    def of(cls, level: TierLevel, rank: int) -> Level:
        return cls(
            name=level.name,
            rank=rank,
            threshold=level.threshold,
            discount_percent=level.discount_percent,
            extra=_extra(level.points_multiplier),
            free_shipping=level.free_shipping,
            bonus_points=level.bonus_points_per_order,
        )


@dataclass(frozen=True, slots=True)
class TimeBoxedRule:
    """A ``multiplier_event`` or a ``discount_event``, in force from ``starts_at`` (included) to ``ends_at``."""

    rule_id: str
    starts_at: datetime
    ends_at: datetime
    value: Decimal
    """The event's multiplier, or its discount percent."""
    extra: Decimal
    """What a multiplier adds (``multiplier - 1``); 0 for a discount."""

    def active_at(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


@dataclass(frozen=True, slots=True)
class Milestone:
    rule_id: str
    lifetime_spend: Decimal
    points: int


@dataclass(frozen=True, slots=True)
class Margin:
    rule_id: str
    points_per_unit: Decimal


@dataclass(frozen=True, slots=True)
class Rulebook:
    """The rules of one program by kind, each in program order, and the program's terms a decision reads."""

    multipliers: tuple[Multiplied, ...]
    """The category and product multipliers, interleaved as the program lists them."""
    events: tuple[TimeBoxedRule, ...]
    milestones: tuple[Milestone, ...]
    free_products: tuple[tuple[Decimal, Effect], ...]
    """Each rule's minimum amount with the effect it gives (always the same one: outputs are immutable)."""
    cart_bonuses: tuple[CartBonus, ...]
    levels: dict[str | None, Level]
    """The tier levels by name (none without tiers)."""
    ladder: tuple[Level, ...] = ()
    """The tier levels in program order: lowest threshold first."""
    margins: tuple[Margin, ...] = ()
    anniversary_lines: tuple[tuple[str, int], ...] = ()
    """The breakdown lines of the anniversary bonuses: (rule id, points)."""
    welcome_lines: tuple[tuple[str, int], ...] = ()
    first_order_discounts: tuple[tuple[str, Decimal, str], ...] = ()
    """The discount sources of the first order discounts: ("first_order", percent, rule id)."""
    discount_events: tuple[TimeBoxedRule, ...] = ()
    points_per_unit: Decimal = Decimal(1)
    max_discount_percent: Decimal = Decimal(100)
    referee_discount_percent: Decimal | None = None
    """The referral's discount for the referee (``None``: the program has no referral)."""
    tiers: Tiers | None = None
    open_enrollment: bool = True
    """Whether every account is a member (``enrollment.mode`` is ``open``), with no membership to look up."""
    excluded: bool = False
    """Whether the segment is one of the program's ``excluded_segments``: its accounts earn nothing."""
    _tier_changes: dict[tuple[str, str], TierChange] = field(default_factory=dict)

    def tier_change(self, before: str, after: str) -> TierChange:
        """The decision's ``tier`` line: one immutable object per pair of levels, made on first use."""
        change = self._tier_changes.get((before, after))
        if change is None:
            change = self._tier_changes[before, after] = TierChange(before=before, after=after)
        return change

    def level_for(self, volume: Decimal) -> Level:
        """The highest level whose threshold the volume reaches (``tiers.level_for``)."""
        for level in reversed(self.ladder):
            if level.threshold <= volume:
                return level
        # Only a negative volume is below the first level's threshold of 0: ``tiers.level_for`` raises, as it did.
        assert self.tiers is not None, "a rulebook without tiers has no levels"
        return self.levels[level_for(self.tiers, volume).name]

    @classmethod
    def of(cls, program: Program, segment: str | None = None) -> Rulebook:
        """The rules that apply to accounts of ``segment`` (rules with ``segments`` name the ones they apply to)."""
        multipliers: list[Multiplied] = []
        events: list[TimeBoxedRule] = []
        milestones: list[Milestone] = []
        free_products: list[tuple[Decimal, Effect]] = []
        cart_bonuses: list[CartBonus] = []
        margins: list[Margin] = []
        anniversaries: list[tuple[str, int]] = []
        welcomes: list[tuple[str, int]] = []
        first_orders: list[tuple[str, Decimal, str]] = []
        discount_events: list[TimeBoxedRule] = []
        for rule in program.rules:
            if not rule.applies_to(segment):
                continue
            match rule:
                case ProductMultiplier():
                    multipliers.append(Multiplied(rule.id, None, frozenset(rule.skus), _extra(rule.multiplier)))
                case MarginPoints():
                    margins.append(Margin(rule.id, rule.points_per_unit))
                case WelcomeBonus():
                    welcomes.append((rule.id, rule.points))
                case FirstOrderDiscount():
                    first_orders.append(("first_order", rule.percent, rule.id))
                case DiscountEvent():
                    discount_events.append(TimeBoxedRule(rule.id, rule.starts_at, rule.ends_at, rule.percent, ZERO))
                case CategoryMultiplier():
                    multipliers.append(Multiplied(rule.id, rule.category, frozenset(), _extra(rule.multiplier)))
                case MultiplierEvent():
                    extra = _extra(rule.multiplier)
                    events.append(TimeBoxedRule(rule.id, rule.starts_at, rule.ends_at, rule.multiplier, extra))
                case FreeProduct():
                    free_products.append((rule.min_amount, Effect(kind="free_product", rule=rule.id, sku=rule.sku)))
                case MilestoneBonus():
                    milestones.append(Milestone(rule.id, rule.lifetime_spend, rule.points))
                case AnniversaryBonus():
                    anniversaries.append((rule.id, rule.points))
                case CartAmountBonus():
                    cart_bonuses.append(CartBonus(rule.id, False, rule.min_amount, rule.points))
                case CartQuantityBonus():
                    cart_bonuses.append(CartBonus(rule.id, True, rule.min_items, rule.points))
        tiers = program.tiers
        ladder = tuple(Level.of(level, rank) for rank, level in enumerate(tiers.levels)) if tiers else ()
        referral = program.referral
        return cls(
            multipliers=tuple(multipliers),
            events=tuple(events),
            milestones=tuple(milestones),
            free_products=tuple(free_products),
            cart_bonuses=tuple(cart_bonuses),
            levels={level.name: level for level in ladder},
            ladder=ladder,
            margins=tuple(margins),
            anniversary_lines=tuple(anniversaries),
            welcome_lines=tuple(welcomes),
            first_order_discounts=tuple(first_orders),
            discount_events=tuple(discount_events),
            points_per_unit=program.points_per_unit,
            max_discount_percent=program.max_discount_percent,
            referee_discount_percent=referral.referee_discount_percent if referral is not None else None,
            tiers=tiers,
            open_enrollment=program.enrollment.mode == "open",
            excluded=segment is not None and segment in program.excluded_segments,
        )


def _extra(multiplier: Decimal) -> Decimal:
    with exact():
        return multiplier - 1


_kept: dict[int, tuple[Program, dict[str | None, Rulebook]]] = {}


def rulebook(program: Program, segment: str | None = None) -> Rulebook:
    """The program's rulebook for one segment, kept for the last ``KEPT_PROGRAMS`` program objects.

    Kept by identity, with the program itself so that its id cannot be reused while kept: a
    program is immutable, and a changed copy (``model_copy``) is another object with its own.
    Each program keeps one book per segment it has scored (a program names a handful of segments).
    """
    kept = _kept.get(id(program))
    if kept is None or kept[0] is not program:
        if len(_kept) >= KEPT_PROGRAMS:
            _kept.pop(next(iter(_kept)), None)
        kept = _kept[id(program)] = (program, {})
    books = kept[1]
    book = books.get(segment)
    if book is None:
        book = books[segment] = Rulebook.of(program, segment)
    return book
