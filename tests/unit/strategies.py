"""Hypothesis strategies for the rules core: valid programs, accounts, wallets, orders and codes.

Everything drawn here validates: programs and orders go through ``Program.parse`` and
``Order.parse`` from JSON-shaped documents, so a strategy that drifted from the schema fails
loudly instead of silently testing nothing. Moments are UTC minutes within a few years of
``EPOCH``; amounts carry 0 to 4 decimals.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from loyalty.account import Account, anniversaries_at
from loyalty.codes import Code, DiscountCode, ReferralCode, check_codes
from loyalty.order import Order
from loyalty.program import MilestoneBonus, Program, Tiers
from loyalty.tiers import VolumeBucket
from loyalty.wallet import Lot, Wallet

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
CURRENCY = "EUR"
CUSTOMER = "ACME"
REFERRER = "FRIEND"
CATEGORIES = ("fasteners", "tools", "paint")
EXCLUDED_SEGMENT = "staff"
STALE_TIER = "Retired"
"""A tier name an account may still carry after the program dropped that level."""

RULE_KINDS = (
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
)
SHARE_KINDS = frozenset({"category_multiplier", "product_multiplier", "margin_points"})
"""The rules whose points are a share of the eligible amount (scaled by eligible / subtotal, floored once)."""
SEGMENTS = ("retail", "installer", EXCLUDED_SEGMENT)
SKUS = tuple(f"SKU-{index}" for index in range(5))
MINUTES_A_DAY = 24 * 60

# Strategies are built once per argument list: hypothesis validates a strategy the first time
# it is drawn from, and one scenario draws from hundreds of them.
ints = functools.lru_cache(maxsize=4096)(st.integers)
choose = functools.lru_cache(maxsize=256)(st.sampled_from)
booleans = st.booleans()


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@functools.lru_cache(maxsize=256)
def decimals(lowest: str, highest: str, places: int = 4) -> st.SearchStrategy[Decimal]:
    """A decimal in [lowest, highest] written with 0 to ``places`` decimals (``5``, ``5.1``, ``0.0451``)."""
    return _decimals(lowest, highest, places)


@st.composite
def _decimals(draw: st.DrawFn, lowest: str, highest: str, places: int) -> Decimal:
    low, high = Decimal(lowest), Decimal(highest)
    digits = draw(ints(0, places))
    scale = Decimal(10) ** digits
    first, last = math.ceil(low * scale), math.floor(high * scale)
    if first > last:  # the range holds no value with this few decimals
        digits, scale = places, Decimal(10) ** places
        first, last = math.ceil(low * scale), math.floor(high * scale)
    return Decimal(draw(ints(first, last))).scaleb(-digits)


def whole_cents(lowest: str, highest: str) -> st.SearchStrategy[Decimal]:
    return decimals(lowest, highest, places=2)


@functools.lru_cache(maxsize=64)
def amounts(highest: int, places: int = 4) -> st.SearchStrategy[Decimal]:
    """0 to ``highest`` with every order of magnitude as likely: thresholds meet carts of any size."""
    ceilings = [10**exponent for exponent in range(1, len(str(highest)))] + [highest]
    return st.one_of(*(decimals("0", str(ceiling), places) for ceiling in ceilings))


@st.composite
def durations(draw: st.DrawFn, most_days: int) -> timedelta:
    """Up to ``most_days`` days, to the minute: whole days first, so that years apart are as likely as minutes."""
    return timedelta(days=draw(ints(0, most_days - 1)), minutes=draw(ints(0, MINUTES_A_DAY)))


@functools.lru_cache(maxsize=64)
def moments(start: datetime = EPOCH, days: int = 730) -> st.SearchStrategy[datetime]:
    return durations(days).map(lambda duration: start + duration)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


PERCENTS = st.one_of(decimals("0", "30", places=2), choose((Decimal(0), Decimal(50), Decimal(100))))
"""Mostly modest percents, now and then the extremes that exercise the cap."""
POINTS = ints(0, 5000)


# --- programs ---------------------------------------------------------------------------------


@st.composite
def tier_documents(draw: st.DrawFn, *, discounts: bool = True) -> dict[str, Any]:
    """1 to 4 levels from 0 up, strictly ascending, with random benefits."""
    steps = draw(st.lists(st.one_of(ints(1, 20), ints(1, 300), ints(1, 3000)), max_size=3))
    levels = []
    for index in range(len(steps) + 1):
        level: dict[str, Any] = {"name": f"T{index}", "threshold": sum(steps[:index])}
        if discounts and draw(booleans):
            level["discount_percent"] = str(draw(PERCENTS))
        if draw(booleans):
            level["points_multiplier"] = str(draw(decimals("1", "3")))
        level["free_shipping"] = draw(booleans)
        level["bonus_points_per_order"] = draw(choose((0, 0, 50, 100, 500)))
        levels.append(level)
    return {"basis": draw(choose(("quantity", "spend", "orders"))), "window_days": draw(ints(1, 400)), "levels": levels}


def _time_box(draw: st.DrawFn, around: datetime) -> dict[str, str]:
    """Around the moment the order is placed: active, just ended or about to start."""
    starts_at = around + timedelta(minutes=draw(ints(-3 * MINUTES_A_DAY, 3 * MINUTES_A_DAY)))
    ends_at = starts_at + timedelta(minutes=draw(ints(1, 6 * MINUTES_A_DAY)))
    return {"starts_at": iso(starts_at), "ends_at": iso(ends_at)}


@st.composite
def rule_documents(draw: st.DrawFn, index: int, around: datetime, *, category_multipliers: bool) -> dict[str, Any]:
    """One rule of any kind; ``category_multipliers=False`` leaves out the share rules (``SHARE_KINDS``)."""
    kinds = tuple(kind for kind in RULE_KINDS if category_multipliers or kind not in SHARE_KINDS)
    kind = draw(choose(kinds))
    rule: dict[str, Any] = {"id": f"r{index}-{kind}", "kind": kind}
    if kind == "cart_amount_bonus":
        rule |= {"min_amount": str(draw(amounts(20_000))), "points": draw(POINTS)}
    elif kind == "cart_quantity_bonus":
        rule |= {"min_items": draw(ints(1, 150)), "points": draw(POINTS)}
    elif kind == "multiplier_event":
        rule |= {"multiplier": str(draw(decimals("1", "5")))} | _time_box(draw, around)
    elif kind == "category_multiplier":
        rule |= {"category": draw(choose(CATEGORIES)), "multiplier": str(draw(decimals("1", "4")))}
    elif kind == "milestone_bonus":
        rule |= {"lifetime_spend": str(draw(amounts(50_000).filter(bool))), "points": draw(POINTS)}
    elif kind in ("anniversary_bonus", "welcome_bonus"):
        rule |= {"points": draw(POINTS)}
    elif kind == "first_order_discount":
        rule |= {"percent": str(draw(PERCENTS.filter(bool)))}
    elif kind == "discount_event":
        rule |= {"percent": str(draw(PERCENTS.filter(bool)))} | _time_box(draw, around)
    elif kind == "product_multiplier":
        skus = draw(st.lists(choose(SKUS), min_size=1, max_size=3, unique=True))
        rule |= {"skus": skus, "multiplier": str(draw(decimals("1", "4")))}
    elif kind == "margin_points":
        rule |= {"points_per_unit": str(draw(decimals("0", "10")))}
    else:
        rule |= {"min_amount": str(draw(amounts(20_000))), "sku": "GIFT"}
    if draw(ints(0, 5)) == 0:
        rule["segments"] = draw(st.lists(choose(SEGMENTS), min_size=1, max_size=2, unique=True))
    return rule


@st.composite
def programs(
    draw: st.DrawFn,
    around: datetime = EPOCH,
    *,
    discounts: bool = True,
    category_multipliers: bool = True,
    tiered: bool = False,
) -> Program:
    """A valid program; ``discounts=False`` caps every discount at 0 percent, ``tiered`` always has tiers."""
    document: dict[str, Any] = {
        "name": "Generated",
        "currency": CURRENCY,
        "points_per_unit": str(draw(st.one_of(st.just(Decimal(1)), decimals("0", "10")))),
        "point_value": str(draw(st.one_of(st.just(Decimal("0.01")), decimals("0.0001", "2")))),
        "points_expire_after_days": draw(maybe(ints(1, 730))),
        "max_discount_percent": str(draw(PERCENTS) if discounts else Decimal(0)),
        "excluded_segments": [EXCLUDED_SEGMENT],
        "tiers": draw(tier_documents(discounts=discounts) if tiered else maybe(tier_documents(discounts=discounts))),
        "rules": [
            draw(rule_documents(index, around, category_multipliers=category_multipliers))
            for index in range(draw(ints(0, 6)))
        ],
    }
    if draw(booleans):
        document["next_purchase_discount"] = {
            "percent": str(draw(decimals("0.01", "30", places=2))),
            "valid_days": draw(ints(1, 90)),
            "min_amount": str(draw(amounts(1000))),
        }
    if draw(booleans):
        document["referral"] = {
            "referee_discount_percent": str(draw(PERCENTS)),
            "referrer_reward": {
                "discount_percent": str(draw(PERCENTS)),
                "valid_days": draw(ints(1, 90)),
                "points": draw(choose((0, 10, 500))),
            },
            "max_referrals": draw(maybe(ints(1, 5))),
        }
    return Program.parse(document)


def plain_tiers() -> st.SearchStrategy[Tiers]:
    """Tiers alone, for the tier window properties."""
    return tier_documents().map(Tiers.model_validate)


# --- wallets, buckets and accounts ------------------------------------------------------------


@st.composite
def lots(draw: st.DrawFn, index: int, now: datetime) -> Lot:
    earned_at = now - draw(durations(700))
    lifetime = draw(maybe(ints(1, 730)))
    points = draw(ints(1, 5000))
    return Lot(
        lot_id=f"L{index}",
        order_id=f"SO-old-{index}",
        earned_at=earned_at,
        expires_at=None if lifetime is None else earned_at + timedelta(days=lifetime),
        points=points,
        remaining=draw(st.one_of(st.just(points), st.just(0), ints(0, points))),
    )


@st.composite
def wallets(draw: st.DrawFn, now: datetime = EPOCH, *, deficits: bool = True) -> Wallet:
    """Lots with points left, earned before ``now`` (some at the same moment); a deficit only with no lot."""
    drawn = [draw(lots(index, now)) for index in range(draw(ints(0, 6)))]
    if len(drawn) > 1 and draw(booleans):  # a tie on earned_at: the lot id breaks it
        drawn[1] = drawn[1].model_copy(update={"earned_at": drawn[0].earned_at})
    held = tuple(lot for lot in drawn if lot.remaining)  # a wallet keeps no emptied lot
    deficit = draw(ints(1, 500)) if deficits and not held and draw(booleans) else 0
    return Wallet(lots=held, deficit=deficit)


@st.composite
def buckets(draw: st.DrawFn, today: date, *, span_days: int = 450) -> tuple[VolumeBucket, ...]:
    """Daily volume on distinct days up to ``today``: history only, no order placed ahead of it."""
    ages = draw(st.lists(ints(0, span_days), unique=True, max_size=6))
    return tuple(
        VolumeBucket(
            day=today - timedelta(days=age),
            items=draw(st.one_of(ints(0, 20), ints(0, 2500))),
            spend=draw(decimals("0", "4000")),
            orders=draw(ints(0, 12)),
        )
        for age in sorted(ages, reverse=True)
    )


@st.composite
def accounts(draw: st.DrawFn, program: Program, now: datetime, *, deficits: bool = True) -> Account:
    levels = tuple(level.name for level in program.tiers.levels) if program.tiers else ()
    first_order_at = draw(maybe(durations(4 * 365).map(lambda duration: now - duration)))
    anniversaries = anniversaries_at(first_order_at, now) if first_order_at else 0
    milestones = tuple(rule.id for rule in program.rules_of(MilestoneBonus))
    return Account(
        customer_id=CUSTOMER,
        segment=draw(choose((None, None, *SEGMENTS))),
        tier=draw(choose((None, STALE_TIER, *levels))),
        buckets=draw(buckets(now.date())),
        lifetime_spend=draw(amounts(30_000)),
        wallet=draw(wallets(now, deficits=deficits)),
        first_order_at=first_order_at,
        anniversaries_rewarded=draw(ints(0, anniversaries)),
        milestones_reached=frozenset(draw(st.lists(choose(milestones), unique=True)) if milestones else ()),
    )


# --- codes and orders ---------------------------------------------------------------------------


@st.composite
def known_codes(draw: st.DrawFn, now: datetime) -> dict[str, Code]:
    """Discount codes of every status and owner, a friend's referral code and the customer's own."""
    codes: dict[str, Code] = {}
    for index in range(draw(ints(0, 3))):
        issued_at = now - timedelta(days=draw(ints(0, 60)))
        codes[f"NP-{index}"] = DiscountCode(
            code=f"NP-{index}",
            kind=draw(choose(("next_purchase", "referral_reward"))),
            customer_id=draw(choose((CUSTOMER, CUSTOMER, CUSTOMER, "OTHER"))),
            percent=draw(PERCENTS),
            issued_at=issued_at,
            expires_at=issued_at + timedelta(days=draw(ints(1, 90))),
            issued_by_order=f"SO-old-{index}",
            status=draw(choose(("active", "active", "active", "used", "revoked", "expired"))),
        )
    codes["REF-FRIEND"] = ReferralCode(
        code="REF-FRIEND", customer_id=REFERRER, referrals=draw(ints(0, 6)), referrer_excluded=draw(booleans)
    )
    codes["REF-OWN"] = ReferralCode(code="REF-OWN", customer_id=CUSTOMER)
    return codes


@st.composite
def order_payloads(
    draw: st.DrawFn, placed_at: datetime, codes: tuple[str, ...] = (), *, cents_only: bool = False
) -> dict[str, Any]:
    """An order as a storefront sends it, JSON-shaped: string prices, an ISO ``placed_at``."""
    price = amounts(400, 2 if cents_only else 4)
    lines = []
    for index in range(draw(ints(1, 5))):
        line: dict[str, Any] = {
            "sku": f"SKU-{index}",
            "quantity": draw(st.one_of(ints(1, 12), ints(1, 400))),
            "unit_price": str(draw(price)),
        }
        category = draw(choose((None, *CATEGORIES)))
        if category is not None:
            line["category"] = category
        if draw(booleans):  # below, at or above the price: a margin of 0 or more
            line["unit_cost"] = str(draw(price))
        lines.append(line)
    return {
        "order_id": "SO-1",
        "customer_id": CUSTOMER,
        "placed_at": iso(placed_at),
        "currency": CURRENCY,
        "lines": lines,
        "codes": draw(st.lists(choose(codes), unique=True, max_size=3)) if codes else [],
    }


@dataclass(frozen=True)
class Scenario:
    """One order about to be scored or committed, and everything it is scored against."""

    program: Program
    account: Account
    order: Order
    payload: dict[str, Any]
    known_codes: dict[str, Code] = field(default_factory=dict)
    referrer: Account | None = None

    def with_order(self, order: Order) -> Scenario:
        return Scenario(self.program, self.account, order, self.payload, self.known_codes, self.referrer)


@st.composite
def scenarios(
    draw: st.DrawFn,
    *,
    deficits: bool = False,
    discounts: bool = True,
    usable_codes_only: bool = False,
    cents_only: bool = False,
    category_multipliers: bool = True,
    tiered: bool = False,
) -> Scenario:
    """A program, an account, the codes the engine knows and an order that redeems nothing.

    ``deficits`` lets the account owe points (a cancel took back points already spent): only the
    properties about balances need that state. ``usable_codes_only`` drops the codes a preview
    would reject, as a commit requires.
    """
    placed_at = draw(moments())
    program = draw(programs(placed_at, discounts=discounts, category_multipliers=category_multipliers, tiered=tiered))
    account = draw(accounts(program, placed_at, deficits=deficits))
    known = draw(known_codes(placed_at))
    payload = draw(order_payloads(placed_at, (*known, "NO-SUCH-CODE"), cents_only=cents_only))
    if usable_codes_only:
        check = check_codes(
            program,
            customer_id=CUSTOMER,
            has_ordered=account.has_ordered,
            placed_at=placed_at,
            codes=payload["codes"],
            known=known,
        )
        payload["codes"] = [code for code in payload["codes"] if code in check.accepted]
    referrer = Account(customer_id=REFERRER, wallet=draw(wallets(placed_at)))
    return Scenario(program, account, Order.parse(payload), payload, known, referrer)
