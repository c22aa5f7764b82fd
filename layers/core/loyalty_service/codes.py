"""New codes: unguessable, short, and easy to read aloud or type from an email."""

from __future__ import annotations

import secrets

from loyalty.codes import DiscountKind

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""No 0/O, 1/I/L: nothing a buyer can misread. 31 symbols: 8 of them carry 39 bits."""
LENGTH = 8
PREFIXES: dict[str, str] = {"next_purchase": "NP-", "referral_reward": "RW-", "referral": "R"}


def random_part(length: int = LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def mint_code(kind: DiscountKind) -> str:
    return PREFIXES[kind] + random_part()


def mint_referral_code() -> str:
    return PREFIXES["referral"] + random_part()
