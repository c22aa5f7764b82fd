"""A program's rules sorted by what they do, worked out once per program document and kept.

Scoring looks up the rules of one kind several times per decision, and one program scores every
decision of a request, a job or a backtest. Sorting the rules once per program, rather than on
every look-up, leaves a decision with its own arithmetic only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from loyalty.decision import Effect, TierChange
from loyalty.money import exact
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
    WelcomeBonus,
)

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
class Rulebook:
    """The rules of one program by kind, each in program order."""

    multipliers: tuple[Multiplied, ...]
    """The category and product multipliers, interleaved as the program lists them."""
    events: tuple[MultiplierEvent, ...]
    milestones: tuple[MilestoneBonus, ...]
    free_products: tuple[tuple[FreeProduct, Effect], ...]
    """Each rule with the effect it gives (always the same one: outputs are immutable)."""
    cart_bonuses: tuple[CartBonus, ...]
    levels: dict[str | None, TierLevel]
    """The tier levels by name (none without tiers)."""
    margins: tuple[MarginPoints, ...] = ()
    anniversaries: tuple[AnniversaryBonus, ...] = ()
    welcomes: tuple[WelcomeBonus, ...] = ()
    first_order_discounts: tuple[FirstOrderDiscount, ...] = ()
    discount_events: tuple[DiscountEvent, ...] = ()
    _tier_changes: dict[tuple[str, str], TierChange] = field(default_factory=dict)

    def tier_change(self, before: str, after: str) -> TierChange:
        """The decision's ``tier`` line: one immutable object per pair of levels, made on first use."""
        change = self._tier_changes.get((before, after))
        if change is None:
            change = self._tier_changes[before, after] = TierChange(before=before, after=after)
        return change

    @classmethod
    def of(cls, program: Program, segment: str | None = None) -> Rulebook:
        """The rules that apply to accounts of ``segment`` (rules with ``segments`` name the ones they apply to)."""
        multipliers: list[Multiplied] = []
        events: list[MultiplierEvent] = []
        milestones: list[MilestoneBonus] = []
        free_products: list[tuple[FreeProduct, Effect]] = []
        cart_bonuses: list[CartBonus] = []
        margins: list[MarginPoints] = []
        anniversaries: list[AnniversaryBonus] = []
        welcomes: list[WelcomeBonus] = []
        first_orders: list[FirstOrderDiscount] = []
        discount_events: list[DiscountEvent] = []
        for rule in program.rules:
            if not rule.applies_to(segment):
                continue
            match rule:
                case ProductMultiplier():
                    multipliers.append(Multiplied(rule.id, None, frozenset(rule.skus), _extra(rule.multiplier)))
                case MarginPoints():
                    margins.append(rule)
                case WelcomeBonus():
                    welcomes.append(rule)
                case FirstOrderDiscount():
                    first_orders.append(rule)
                case DiscountEvent():
                    discount_events.append(rule)
                case CategoryMultiplier():
                    multipliers.append(Multiplied(rule.id, rule.category, frozenset(), _extra(rule.multiplier)))
                case MultiplierEvent():
                    events.append(rule)
                case FreeProduct():
                    free_products.append((rule, Effect(kind="free_product", rule=rule.id, sku=rule.sku)))
                case MilestoneBonus():
                    milestones.append(rule)
                case AnniversaryBonus():
                    anniversaries.append(rule)
                case CartAmountBonus():
                    cart_bonuses.append(CartBonus(rule.id, False, rule.min_amount, rule.points))
                case CartQuantityBonus():
                    cart_bonuses.append(CartBonus(rule.id, True, rule.min_items, rule.points))
        return cls(
            multipliers=tuple(multipliers),
            events=tuple(events),
            milestones=tuple(milestones),
            free_products=tuple(free_products),
            cart_bonuses=tuple(cart_bonuses),
            levels={level.name: level for level in program.tiers.levels} if program.tiers else {},
            margins=tuple(margins),
            anniversaries=tuple(anniversaries),
            welcomes=tuple(welcomes),
            first_order_discounts=tuple(first_orders),
            discount_events=tuple(discount_events),
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
