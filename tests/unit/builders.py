"""Builders for the core's tests: the SPEC's program, and accounts and orders with sensible defaults."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

from loyalty.account import Account
from loyalty.order import Order
from loyalty.program import Program
from loyalty.types import parse_instant
from loyalty.wallet import Lot, Wallet

SPEC_PROGRAM: dict[str, Any] = {
    "name": "Acme B2B Rewards",
    "currency": "EUR",
    "points_per_unit": "1",
    "point_value": "0.01",
    "points_expire_after_days": 365,
    "max_discount_percent": "50",
    "excluded_segments": ["staff"],
    "tiers": {
        "basis": "quantity",
        "window_days": 365,
        "levels": [
            {"name": "Bronze", "threshold": 0},
            {"name": "Silver", "threshold": 1000, "discount_percent": "5", "points_multiplier": "1.25"},
            {
                "name": "Gold",
                "threshold": 5000,
                "discount_percent": "8",
                "points_multiplier": "1.5",
                "free_shipping": True,
                "bonus_points_per_order": 100,
            },
        ],
    },
    "rules": [
        {"id": "big-cart", "kind": "cart_amount_bonus", "min_amount": "15000", "points": 5000},
        {"id": "bulk", "kind": "cart_quantity_bonus", "min_items": 500, "points": 1000},
        {
            "id": "year-end",
            "kind": "multiplier_event",
            "multiplier": "3",
            "starts_at": "2026-12-01T00:00:00Z",
            "ends_at": "2026-12-08T00:00:00Z",
        },
        {"id": "fasteners", "kind": "category_multiplier", "category": "fasteners", "multiplier": "2"},
        {"id": "100k", "kind": "milestone_bonus", "lifetime_spend": "100000", "points": 20000},
        {"id": "anniversary", "kind": "anniversary_bonus", "points": 1000},
        {"id": "kit", "kind": "free_product", "min_amount": "5000", "sku": "SAMPLE-KIT"},
    ],
    "next_purchase_discount": {"percent": "5", "valid_days": 30, "min_amount": "500"},
    "referral": {
        "referee_discount_percent": "10",
        "referrer_reward": {"discount_percent": "5", "valid_days": 60, "points": 0},
        "max_referrals": 50,
    },
    "emails": {"from": "rewards@example.com", "digest": True},
}
"""The example program of SPEC section 3, key for key."""


def at(text: str) -> datetime:
    return parse_instant(text)


def spec_document() -> dict[str, Any]:
    return copy.deepcopy(SPEC_PROGRAM)


def make_program(**changes: Any) -> Program:
    """The SPEC program with top-level keys replaced (``rules=[]`` for a program without rules)."""
    return Program.parse({**spec_document(), **changes})


def make_order(**changes: Any) -> Order:
    payload: dict[str, Any] = {
        "order_id": "SO-1001",
        "customer_id": "ACME",
        "placed_at": "2026-11-20T10:15:00Z",
        "currency": "EUR",
        "lines": [{"sku": "BOLT-M8", "quantity": 1, "unit_price": "100", "category": "tools"}],
    }
    payload.update(changes)
    return Order.parse(payload)


def lot(lot_id: str, points: int, earned: str, expires: str | None = None, remaining: int | None = None) -> Lot:
    return Lot(
        lot_id=lot_id,
        order_id=lot_id,
        earned_at=at(earned),
        expires_at=at(expires) if expires else None,
        points=points,
        remaining=points if remaining is None else remaining,
    )


def make_account(balance: int = 0, **changes: Any) -> Account:
    """An account; ``balance`` becomes one lot earned long ago that never expires."""
    wallet = Wallet(lots=(lot("opening", balance, "2025-01-01T00:00:00Z"),)) if balance else Wallet()
    return Account(customer_id="ACME", wallet=wallet, **changes)


def minting(*codes: str) -> Callable[[str], str]:
    """A code minter handing out the given codes in turn."""
    pending = list(codes)
    return lambda _kind: pending.pop(0)
