"""Which API key may call which routes (SPEC section 4): two roles, and admin keys open storefront routes too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from loyalty_service.ports import KeyDirectory, KeyHolder, Role

ROLES: tuple[Role, ...] = ("storefront", "admin")

ACCEPTED: Mapping[Role, frozenset[Role]] = {
    "storefront": frozenset({"storefront", "admin"}),
    "admin": frozenset({"admin"}),
}
"""For the role a route requires, the roles of the keys that may call it."""


@dataclass(frozen=True)
class Grant:
    """A known key's verdict for one authorizer: ``allowed`` False is a 403, not a 401."""

    holder: KeyHolder
    allowed: bool


def may_call(required: Role, held: Role) -> bool:
    return held in ACCEPTED[required]


class KeyCheck:
    def __init__(self, keys: KeyDirectory, required: Role) -> None:
        if required not in ACCEPTED:
            raise ValueError(f"the required role must be one of {ROLES}, not {required!r}")
        self._keys = keys
        self._required = required

    @property
    def required(self) -> Role:
        return self._required

    def check(self, api_key: str | None) -> Grant | None:
        """``None`` for no key or a key never issued (401); a grant, allowed or not, for a known key."""
        if not api_key:
            return None
        holder = self._keys.holder_of(api_key)
        if holder is None:
            return None
        return Grant(holder=holder, allowed=may_call(self._required, holder.role))
